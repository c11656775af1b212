//! The CDK rendering of a [`Template`]: a TypeScript app of typed L1 constructs (`CfnUserPool`,
//! `CfnUserPoolClient`, ...) whose `cdk synth` gives the CloudFormation template's resources.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use super::model::Template;

/// The npm packages the app builds with, pinned to what the tests synthesize with.
pub(crate) const AWS_CDK_LIB: &str = "2.276.0";
pub(crate) const CONSTRUCTS: &str = "10.8.1";
pub(crate) const AWS_CDK_CLI: &str = "2.1148.1";
pub(crate) const TYPESCRIPT: &str = "5.9.3";
pub(crate) const TS_NODE: &str = "10.9.2";
pub(crate) const TYPES_NODE: &str = "22.20.5";

/// The stack's name in the app.
pub(crate) const STACK_NAME: &str = "CognitoMcp";

/// Properties whose values are free-form JSON (maps of the user's or AWS's own keys): their
/// keys stay as written, where every other key becomes the CDK's camelCase.
const VERBATIM: &[&str] = &[
    "AssumeRolePolicyDocument",
    "AttributeMapping",
    "PolicyDocument",
    "ProviderDetails",
    "Variables",
];

/// Resource types aws-cdk-lib has no L1 class for yet (2.278.0, the newest on npm in 2026-12,
/// lacks them): written as `cdk.CfnResource` with the CloudFormation properties as they are.
const UNTYPED_KINDS: &[&str] = &["AWS::Cognito::CIMDPolicy"];

/// Properties an L1 class does not know yet: set with `addPropertyOverride`, which writes them
/// into the synthesized template as they are.
const UNTYPED_PROPERTIES: &[(&str, &str)] = &[("AWS::Cognito::UserPool", "DcrConfiguration")];

/// The files of the CDK app, path to text.
pub(crate) fn app(template: &Template) -> BTreeMap<&'static str, String> {
    let mut files = BTreeMap::new();
    files.insert("bin/cognito-mcp.ts", stack(template));
    files.insert(
        "cdk.json",
        "{\n  \"app\": \"npx ts-node --prefer-ts-exts bin/cognito-mcp.ts\"\n}\n".to_owned(),
    );
    files.insert(
        "package.json",
        format!(
            r#"{{
  "name": "cognito-mcp-infrastructure",
  "private": true,
  "version": "0.1.0",
  "bin": {{ "cognito-mcp": "bin/cognito-mcp.js" }},
  "scripts": {{ "synth": "cdk synth", "deploy": "cdk deploy" }},
  "dependencies": {{
    "aws-cdk-lib": "{AWS_CDK_LIB}",
    "constructs": "{CONSTRUCTS}"
  }},
  "devDependencies": {{
    "@types/node": "{TYPES_NODE}",
    "aws-cdk": "{AWS_CDK_CLI}",
    "ts-node": "{TS_NODE}",
    "typescript": "{TYPESCRIPT}"
  }}
}}
"#
        ),
    );
    files.insert(
        "tsconfig.json",
        r#"{
  "compilerOptions": {
    "target": "ES2022",
    "module": "commonjs",
    "lib": ["es2022"],
    "strict": true,
    "noImplicitAny": true,
    "noUnusedLocals": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "types": ["node"]
  },
  "exclude": ["node_modules", "cdk.out"]
}
"#
        .to_owned(),
    );
    files
}

/// `UserPool` → `userPool`.
fn var(id: &str) -> String {
    let mut cs = id.chars();
    cs.next()
        .map(|f| f.to_ascii_lowercase().to_string() + cs.as_str())
        .unwrap_or_default()
}

/// The CDK's camelCase of a CloudFormation property name. jsii lowers the first letter and
/// splits runs of capitals the way its `camelcase` does: `CallbackURLs` → `callbackUrLs`,
/// `AllowedOAuthFlows` → `allowedOAuthFlows`, `MetadataURL` → `metadataUrl`.
pub(crate) fn camel(name: &str) -> String {
    // Split into words at lower→upper and at upper→upper+lower boundaries.
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            None => false,
            Some(p) => {
                (p.is_ascii_lowercase() || p.is_ascii_digit()) && c.is_ascii_uppercase()
                    || (p.is_ascii_uppercase()
                        && c.is_ascii_uppercase()
                        && next.is_some_and(|n| n.is_ascii_lowercase()))
            }
        };
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_ascii_lowercase();
            if i == 0 {
                lower
            } else {
                let mut cs = lower.chars();
                cs.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                    .unwrap_or_default()
            }
        })
        .collect()
}

/// `AWS::Cognito::UserPool` → (`cognito`, `CfnUserPool`, `aws-cdk-lib/aws-cognito`).
fn class(kind: &str) -> (String, String, String) {
    let mut parts = kind.split("::").skip(1);
    let service = parts.next().unwrap_or_default().to_ascii_lowercase();
    let name = parts.next().unwrap_or_default();
    (
        service.clone(),
        format!("Cfn{name}"),
        format!("aws-cdk-lib/aws-{service}"),
    )
}

struct Names {
    parameters: BTreeSet<String>,
    resources: BTreeSet<String>,
}

/// The resources some expression, dependency or removal policy refers to by variable.
fn referenced(t: &Template) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(target)) = m.get("Ref") {
                    out.insert(target.clone());
                }
                if let Some(Value::String(target)) = m
                    .get("Fn::GetAtt")
                    .and_then(|a| a.as_array())
                    .and_then(|a| a.first())
                {
                    out.insert(target.clone());
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for r in &t.resources {
        walk(&r.properties, &mut out);
        out.extend(r.depends_on.iter().cloned());
        if r.retain || !r.depends_on.is_empty() {
            out.insert(r.id.clone());
        }
    }
    for o in &t.outputs {
        walk(&o.value, &mut out);
    }
    out
}

fn string(s: &str) -> String {
    // A JSON string is a TypeScript string literal.
    Value::String(s.to_owned()).to_string()
}

/// The TypeScript expression of a CloudFormation value.
fn expr(v: &Value, verbatim: bool, names: &Names, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent + 1);
    let end = "  ".repeat(indent);
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("Ref") => {
            let target = m["Ref"].as_str().unwrap_or_default();
            if names.parameters.contains(target) {
                let _ = write!(out, "{}.valueAsString", var(target));
            } else if names.resources.contains(target) {
                let _ = write!(out, "{}.ref", var(target));
            } else {
                let _ = write!(out, "cdk.Fn.ref({})", string(target));
            }
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::GetAtt") => {
            let parts: Vec<&str> = m["Fn::GetAtt"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let (target, attribute) = (
                parts.first().copied().unwrap_or_default(),
                parts.get(1).copied().unwrap_or_default(),
            );
            let _ = write!(
                out,
                "{}.getAtt({}).toString()",
                var(target),
                string(attribute)
            );
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
            let _ = write!(
                out,
                "cdk.Fn.sub({})",
                string(m["Fn::Sub"].as_str().unwrap_or_default())
            );
        }
        Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for (k, v) in m {
                let key = if verbatim { string(k) } else { camel(k) };
                let _ = write!(out, "{pad}{key}: ");
                expr(
                    v,
                    verbatim || VERBATIM.contains(&k.as_str()),
                    names,
                    indent + 1,
                    out,
                );
                out.push_str(",\n");
            }
            let _ = write!(out, "{end}}}");
        }
        Value::Array(a) => {
            if a.iter().all(|v| !v.is_object() && !v.is_array()) {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    expr(v, verbatim, names, indent, out);
                }
                out.push(']');
                return;
            }
            out.push_str("[\n");
            for v in a {
                out.push_str(&pad);
                expr(v, verbatim, names, indent + 1, out);
                out.push_str(",\n");
            }
            let _ = write!(out, "{end}]");
        }
        Value::String(s) => out.push_str(&string(s)),
        other => out.push_str(&other.to_string()),
    }
}

fn stack(t: &Template) -> String {
    let names = Names {
        parameters: t.parameters.iter().map(|p| p.id.clone()).collect(),
        resources: t.resources.iter().map(|r| r.id.clone()).collect(),
    };
    let mut imports: BTreeMap<String, String> = BTreeMap::new();
    for r in t
        .resources
        .iter()
        .filter(|r| !UNTYPED_KINDS.contains(&r.kind))
    {
        let (alias, _, module) = class(r.kind);
        imports.insert(alias, module);
    }
    let mut out = String::new();
    out.push_str(
        "#!/usr/bin/env node\n\
         // Generated by `cognito-mcp deploy template --format cdk` from the cognito-mcp config.\n\
         // Regenerate it after changing the config rather than editing it: the CloudFormation\n\
         // template (`--format cloudformation`) comes from the same model.\n\
         import * as cdk from 'aws-cdk-lib';\n\
         import { Construct } from 'constructs';\n",
    );
    for (alias, module) in &imports {
        let _ = writeln!(out, "import * as {alias} from '{module}';");
    }
    out.push_str(
        "\nexport class CognitoMcpStack extends cdk.Stack {\n  \
         constructor(scope: Construct, id: string, props?: cdk.StackProps) {\n    \
         super(scope, id, props);\n",
    );
    if !t.parameters.is_empty() {
        out.push('\n');
    }
    for p in &t.parameters {
        let _ = write!(
            out,
            "    const {} = new cdk.CfnParameter(this, {}, {{\n      type: 'String',\n      description: {},\n",
            var(&p.id),
            string(&p.id),
            string(&p.description)
        );
        if let Some(d) = &p.default {
            let _ = writeln!(out, "      default: {},", string(d));
        }
        if p.no_echo {
            out.push_str("      noEcho: true,\n");
        }
        out.push_str("    });\n");
    }
    let used = referenced(t);
    for r in &t.resources {
        let (alias, class_name, _) = class(r.kind);
        let mut properties = r.properties.clone();
        let overrides: Vec<(&str, Value)> = UNTYPED_PROPERTIES
            .iter()
            .filter(|(kind, _)| *kind == r.kind)
            .filter_map(|(_, name)| {
                properties
                    .as_object_mut()
                    .and_then(|m| m.remove(*name))
                    .map(|v| (*name, v))
            })
            .collect();
        let binding = if used.contains(&r.id) || !overrides.is_empty() {
            format!("const {} = ", var(&r.id))
        } else {
            String::new()
        };
        if UNTYPED_KINDS.contains(&r.kind) {
            let _ = write!(
                out,
                "\n    // {} is not in aws-cdk-lib yet: its CloudFormation properties as they are.\n    \
                 {binding}new cdk.CfnResource(this, {}, {{\n      type: {},\n      properties: ",
                r.kind,
                string(&r.id),
                string(r.kind)
            );
            expr(&properties, true, &names, 3, &mut out);
            out.push_str(",\n    });\n");
        } else {
            let _ = write!(
                out,
                "\n    {binding}new {alias}.{class_name}(this, {}, ",
                string(&r.id)
            );
            expr(&properties, false, &names, 2, &mut out);
            out.push_str(");\n");
        }
        for (name, value) in &overrides {
            let _ = write!(
                out,
                "    // {name} is not in aws-cdk-lib's {class_name} yet: set as CloudFormation writes it.\n    \
                 {}.addPropertyOverride({}, ",
                var(&r.id),
                string(name)
            );
            expr(value, true, &names, 2, &mut out);
            out.push_str(");\n");
        }
        for d in &r.depends_on {
            let _ = writeln!(out, "    {}.addResourceDependency({});", var(&r.id), var(d));
        }
        if r.retain {
            let _ = writeln!(
                out,
                "    {}.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);",
                var(&r.id)
            );
        }
    }
    out.push('\n');
    for o in &t.outputs {
        let _ = write!(
            out,
            "    new cdk.CfnOutput(this, {}, {{\n      description: {},\n      value: ",
            string(o.id),
            string(o.description)
        );
        expr(&o.value, false, &names, 3, &mut out);
        out.push_str(",\n    });\n");
    }
    out.push_str("  }\n}\n\nconst app = new cdk.App();\n");
    let _ = write!(
        out,
        "new CognitoMcpStack(app, {}, {{\n  description: {},\n  \
         // The CLI's own credentials deploy it: no `cdk bootstrap` needed (the app has no assets).\n  \
         synthesizer: new cdk.CliCredentialsStackSynthesizer(),\n}});\n",
        string(STACK_NAME),
        string(&t.description)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_follows_jsii() {
        for (cfn, cdk) in [
            ("UserPoolName", "userPoolName"),
            ("CallbackURLs", "callbackUrLs"),
            ("AllowedOAuthFlows", "allowedOAuthFlows"),
            (
                "AllowedOAuthFlowsUserPoolClient",
                "allowedOAuthFlowsUserPoolClient",
            ),
            ("S3Bucket", "s3Bucket"),
            ("MfaConfiguration", "mfaConfiguration"),
            ("TargetFunctionArn", "targetFunctionArn"),
            ("Name", "name"),
        ] {
            assert_eq!(camel(cfn), cdk, "{cfn}");
        }
    }
}
