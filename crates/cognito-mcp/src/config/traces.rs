//! `[traces]`: OpenTelemetry traces over OTLP/HTTP (`cognito-mcp` built with `--features
//! otel`). The switch is the server's (`COGNITO_MCP_TRACES`, `traces.enabled`); where the
//! spans go and which are kept are the standard OpenTelemetry variables, read only when the
//! switch is on.

use serde::Deserialize;

use super::{Problem, non_empty, truthy};

/// `[traces]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TracesFile {
    enabled: Option<bool>,
}

/// Where the spans go, and which are kept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TracesSettings {
    /// The collector's OTLP/HTTP traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is,
    /// else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`; default
    /// `http://localhost:4318/v1/traces` (a collector or agent beside the server).
    pub(crate) endpoint: String,
    /// `OTEL_SERVICE_NAME`; else the `service.name` of `OTEL_RESOURCE_ATTRIBUTES`; default
    /// `cognito-mcp`.
    pub(crate) service_name: String,
    /// `OTEL_TRACES_SAMPLER` (and `OTEL_TRACES_SAMPLER_ARG`); default `parentbased_always_on`:
    /// every trace is kept unless the caller's `traceparent` says it is not sampled.
    pub(crate) sampler: Sampler,
}

/// Which traces are kept (`OTEL_TRACES_SAMPLER`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Sampler {
    /// `always_on`.
    AlwaysOn,
    /// `always_off`.
    AlwaysOff,
    /// `traceidratio`: this share of the traces, by trace id.
    Ratio(f64),
    /// `parentbased_always_on`: the caller's decision, else every trace.
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`: the caller's decision, else none.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`: the caller's decision, else this share.
    ParentBasedRatio(f64),
}

impl std::fmt::Display for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sampler::AlwaysOn => f.write_str("always_on"),
            Sampler::AlwaysOff => f.write_str("always_off"),
            Sampler::Ratio(r) => write!(f, "traceidratio {r}"),
            Sampler::ParentBasedAlwaysOn => f.write_str("parentbased_always_on"),
            Sampler::ParentBasedAlwaysOff => f.write_str("parentbased_always_off"),
            Sampler::ParentBasedRatio(r) => write!(f, "parentbased_traceidratio {r}"),
        }
    }
}

/// The traces endpoint when no variable names one.
const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
/// The service name when no variable names one.
const DEFAULT_SERVICE_NAME: &str = "cognito-mcp";

/// `[traces]` and the environment: `None` when traces are off (the default).
pub(crate) fn resolve(
    file: TracesFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<TracesSettings>, Problem> {
    let var = |k: &str| non_empty(env(k));
    let on = match var("COGNITO_MCP_TRACES") {
        Some(v) => truthy(&v).ok_or_else(|| {
            Problem::new(format!(
                "COGNITO_MCP_TRACES is {v:?}; set it to true or false"
            ))
        })?,
        None => file.enabled.unwrap_or(false),
    };
    if !on {
        return Ok(None);
    }
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(p) = var(name)
            && p != "http/protobuf"
        {
            return Err(Problem::new(format!(
                "{name} is {p:?}; this server exports traces over OTLP/HTTP with protobuf: set \
                 it to \"http/protobuf\" (or unset it), and point the endpoint at the \
                 collector's HTTP port (4318), not its gRPC port (4317)"
            )));
        }
    }
    let endpoint = match var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        Some(url) => checked_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)?,
        None => {
            let base = match var("OTEL_EXPORTER_OTLP_ENDPOINT") {
                Some(url) => checked_url("OTEL_EXPORTER_OTLP_ENDPOINT", url)?,
                None => DEFAULT_ENDPOINT.to_owned(),
            };
            format!("{}/v1/traces", base.trim_end_matches('/'))
        }
    };
    let service_name = var("OTEL_SERVICE_NAME")
        .or_else(|| {
            var("OTEL_RESOURCE_ATTRIBUTES")?
                .split(',')
                .find_map(|kv| kv.trim().strip_prefix("service.name=").map(str::to_owned))
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned());
    Ok(Some(TracesSettings {
        endpoint,
        service_name,
        sampler: sampler(var("OTEL_TRACES_SAMPLER"), var("OTEL_TRACES_SAMPLER_ARG"))?,
    }))
}

/// An `http://` or `https://` URL with a host, else what to write.
fn checked_url(name: &str, url: String) -> Result<String, Problem> {
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .and_then(|rest| rest.split('/').next())
        .filter(|authority| !authority.is_empty());
    match host {
        Some(authority) if authority.contains('@') => Err(Problem::new(format!(
            "{name} holds credentials before its host; name the collector's URL without them, \
             and give the credentials in OTEL_EXPORTER_OTLP_HEADERS (never printed)"
        ))),
        Some(_) => Ok(url),
        None => Err(Problem::new(format!(
            "{name} is {url:?}; set it to the collector's OTLP/HTTP URL, like \
             http://localhost:4318"
        ))),
    }
}

/// `OTEL_TRACES_SAMPLER` and its argument.
fn sampler(name: Option<String>, arg: Option<String>) -> Result<Sampler, Problem> {
    let ratio = || -> Result<f64, Problem> {
        let arg = arg.clone().unwrap_or_else(|| "1.0".to_owned());
        arg.parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| {
                Problem::new(format!(
                    "OTEL_TRACES_SAMPLER_ARG is {arg:?}; set it to the share of traces to keep, \
                     from 0.0 to 1.0, like 0.25"
                ))
            })
    };
    Ok(match name.as_deref() {
        None | Some("parentbased_always_on") => Sampler::ParentBasedAlwaysOn,
        Some("always_on") => Sampler::AlwaysOn,
        Some("always_off") => Sampler::AlwaysOff,
        Some("traceidratio") => Sampler::Ratio(ratio()?),
        Some("parentbased_always_off") => Sampler::ParentBasedAlwaysOff,
        Some("parentbased_traceidratio") => Sampler::ParentBasedRatio(ratio()?),
        Some(other) => {
            return Err(Problem::new(format!(
                "OTEL_TRACES_SAMPLER is {other:?}; write always_on, always_off, traceidratio, \
                 parentbased_always_on (the default), parentbased_always_off or \
                 parentbased_traceidratio"
            )));
        }
    })
}

/// What `serve` and `check` say when traces are on in a build without them.
pub(crate) fn unbuilt(traces: Option<&TracesSettings>) -> Option<Problem> {
    (traces.is_some() && !cfg!(feature = "otel")).then(|| {
        Problem::new(
            "traces are on (COGNITO_MCP_TRACES or traces.enabled) but this build has no traces: \
             build with --features otel (cargo install cognito-mcp --features otel), or turn \
             them off",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Option<TracesSettings>, Problem> {
        let env = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        };
        resolve(TracesFile::default(), &env)
    }

    #[test]
    fn off_by_default_and_the_otel_variables_are_then_ignored() {
        assert_eq!(load(&[]).expect("loads"), None);
        assert_eq!(
            load(&[("OTEL_TRACES_SAMPLER", "nonsense")]).expect("loads"),
            None
        );
        let on = resolve(
            TracesFile {
                enabled: Some(true),
            },
            &|_| None,
        )
        .expect("loads");
        assert_eq!(
            on,
            Some(TracesSettings {
                endpoint: "http://localhost:4318/v1/traces".into(),
                service_name: "cognito-mcp".into(),
                sampler: Sampler::ParentBasedAlwaysOn,
            })
        );
        // The environment wins over the file.
        let off = resolve(
            TracesFile {
                enabled: Some(true),
            },
            &|k| (k == "COGNITO_MCP_TRACES").then(|| "false".to_owned()),
        );
        assert_eq!(off.expect("loads"), None);
    }

    #[test]
    fn the_standard_variables_are_read() {
        let on = ("COGNITO_MCP_TRACES", "true");
        let s = load(&[
            on,
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
        ])
        .expect("loads")
        .expect("on");
        assert_eq!(s.endpoint, "http://collector:4318/v1/traces");
        let s = load(&[
            on,
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://x.example/otlp",
            ),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=prod,service.name=admin",
            ),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .expect("loads")
        .expect("on");
        assert_eq!(s.endpoint, "https://x.example/otlp");
        assert_eq!(s.service_name, "admin");
        assert_eq!(s.sampler, Sampler::ParentBasedRatio(0.25));
        let s = load(&[
            on,
            ("OTEL_SERVICE_NAME", "pool-admin"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=admin"),
        ])
        .expect("loads")
        .expect("on");
        assert_eq!(s.service_name, "pool-admin");
    }

    #[test]
    fn values_that_cannot_work_name_the_fix() {
        let on = ("COGNITO_MCP_TRACES", "true");
        for (pairs, says) in [
            (
                vec![("COGNITO_MCP_TRACES", "sure")],
                "set it to true or false",
            ),
            (
                vec![on, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
                "port (4318)",
            ),
            (
                vec![on, ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
                "like http://",
            ),
            (
                vec![
                    on,
                    (
                        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                        "https://u:key@x.example/",
                    ),
                ],
                "OTEL_EXPORTER_OTLP_HEADERS",
            ),
            (
                vec![on, ("OTEL_TRACES_SAMPLER", "xray")],
                "parentbased_always_on (the default)",
            ),
            (
                vec![
                    on,
                    ("OTEL_TRACES_SAMPLER", "traceidratio"),
                    ("OTEL_TRACES_SAMPLER_ARG", "2"),
                ],
                "from 0.0 to 1.0",
            ),
        ] {
            let e = load(&pairs).expect_err("refused");
            assert!(e.message().contains(says), "{pairs:?}: {e}");
        }
    }

    #[test]
    fn a_build_without_traces_says_so_when_they_are_on() {
        let on = load(&[("COGNITO_MCP_TRACES", "true")]).expect("loads");
        assert_eq!(unbuilt(None), None);
        match unbuilt(on.as_ref()) {
            Some(p) if !cfg!(feature = "otel") => {
                assert!(p.message().contains("build with --features otel"), "{p}")
            }
            None if cfg!(feature = "otel") => {}
            other => panic!("{other:?}"),
        }
    }
}
