//! Reading a pre token generation event: the fields the trigger uses, each checked where it is
//! read so an error names the field's path.
//!
//! The event is read from JSON by hand rather than through `aws_lambda_events`' request types:
//! those require `request.scopes` (absent from some V2 events), reject trigger sources they
//! don't list (`TokenGeneration_ClientCredentials` of V3 among them), and report a wrong type
//! without the field it was in.

use aws_lambda_events::cognito::GroupConfiguration;
use serde_json::{Map, Value};

use crate::error::{EventError, shorten};

/// The trigger source of machine-to-machine (client credentials) token requests.
pub const CLIENT_CREDENTIALS: &str = "TokenGeneration_ClientCredentials";

/// The event versions this trigger handles, one per `LambdaVersion` of the pool's
/// `PreTokenGenerationConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Version {
    /// `"1"` (`V1_0`): the ID token only.
    V1,
    /// `"2"` (`V2_0`): ID and access tokens of user sign-ins.
    V2,
    /// `"3"` (`V3_0`): as V2, plus machine-to-machine access tokens.
    V3,
}

impl Version {
    /// The version as it appears in the event.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "1",
            Version::V2 => "2",
            Version::V3 => "3",
        }
    }

    fn parse(text: &str) -> Result<Version, EventError> {
        match text {
            "1" => Ok(Version::V1),
            "2" => Ok(Version::V2),
            "3" => Ok(Version::V3),
            other => Err(EventError::UnsupportedVersion {
                version: shorten(other),
            }),
        }
    }
}

/// The event's metadata: what it is and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) version: Version,
    pub(crate) trigger_source: String,
    pub(crate) user_name: Option<String>,
}

impl Header {
    /// Whether the event is for a machine-to-machine token, which has no user.
    pub(crate) fn is_client_credentials(&self) -> bool {
        self.trigger_source == CLIENT_CREDENTIALS
    }
}

/// The parts of a user event's `request` the trigger uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserRequest<'a> {
    /// `request.userAttributes` (empty when null); values are checked when read.
    user_attributes: Option<&'a Map<String, Value>>,
    /// `request.groupConfiguration`, empty when null or absent.
    pub(crate) groups: GroupConfiguration,
    /// `request.scopes` (V2 and V3), empty when null or absent.
    pub(crate) scopes: Vec<String>,
}

impl<'a> UserRequest<'a> {
    /// The string value of the user attribute `name`, `None` when the user has none.
    pub(crate) fn attribute(&self, name: &str) -> Result<Option<&'a str>, EventError> {
        let Some(value) = self
            .user_attributes
            .and_then(|attributes| attributes.get(name))
        else {
            return Ok(None);
        };
        match value {
            Value::String(text) => Ok(Some(text.as_str())),
            Value::Null => Ok(None),
            other => Err(wrong_type(
                format!("request.userAttributes.{name}"),
                "a string",
                other,
            )),
        }
    }
}

/// The event as a JSON object.
pub(crate) fn as_event_object(event: &Value) -> Result<&Map<String, Value>, EventError> {
    match event {
        Value::Object(object) => Ok(object),
        other => Err(EventError::NotAnObject {
            found: kind_of(other),
        }),
    }
}

/// Reads `version`, `triggerSource` and `userName`.
pub(crate) fn read_header(event: &Map<String, Value>) -> Result<Header, EventError> {
    let version = Version::parse(required_str(event, "", "version")?)?;
    let trigger_source = required_str(event, "", "triggerSource")?;
    if !trigger_source.starts_with("TokenGeneration_") {
        return Err(EventError::UnsupportedTriggerSource {
            trigger_source: shorten(trigger_source),
        });
    }
    let user_name = optional_str(event, "", "userName")?.map(str::to_owned);
    Ok(Header {
        version,
        trigger_source: trigger_source.to_owned(),
        user_name,
    })
}

/// Reads the `request` of a user (not machine-to-machine) event.
pub(crate) fn read_user_request<'a>(
    event: &'a Map<String, Value>,
    version: Version,
) -> Result<UserRequest<'a>, EventError> {
    let request = object(required(event, "", "request")?, "request")?;
    let user_attributes = match required(request, "request.", "userAttributes")? {
        Value::Null => None,
        value => Some(object(value, "request.userAttributes")?),
    };
    let groups = match request.get("groupConfiguration") {
        None | Some(Value::Null) => GroupConfiguration::default(),
        Some(value) => read_groups(object(value, "request.groupConfiguration")?)?,
    };
    let scopes = match version {
        Version::V1 => Vec::new(),
        Version::V2 | Version::V3 => string_list(request, "request.", "scopes")?,
    };
    Ok(UserRequest {
        user_attributes,
        groups,
        scopes,
    })
}

fn read_groups(config: &Map<String, Value>) -> Result<GroupConfiguration, EventError> {
    const PATH: &str = "request.groupConfiguration.";
    let mut groups = GroupConfiguration::default();
    groups.groups_to_override = string_list(config, PATH, "groupsToOverride")?;
    groups.iam_roles_to_override = string_list(config, PATH, "iamRolesToOverride")?;
    groups.preferred_role = optional_str(config, PATH, "preferredRole")?.map(str::to_owned);
    Ok(groups)
}

fn required<'a>(
    object: &'a Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<&'a Value, EventError> {
    object.get(name).ok_or_else(|| EventError::MissingField {
        field: format!("{prefix}{name}"),
    })
}

fn required_str<'a>(
    object: &'a Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<&'a str, EventError> {
    match required(object, prefix, name)? {
        Value::String(text) => Ok(text),
        other => Err(wrong_type(format!("{prefix}{name}"), "a string", other)),
    }
}

fn optional_str<'a>(
    object: &'a Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<Option<&'a str>, EventError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(wrong_type(format!("{prefix}{name}"), "a string", other)),
    }
}

/// A list of strings, empty when absent or null.
fn string_list(
    object: &Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<Vec<String>, EventError> {
    let items = match object.get(name) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(wrong_type(
                format!("{prefix}{name}"),
                "a list of strings",
                other,
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::String(text) => Ok(text.clone()),
            other => Err(wrong_type(
                format!("{prefix}{name}[{index}]"),
                "a string",
                other,
            )),
        })
        .collect()
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, EventError> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(wrong_type(path.to_owned(), "an object", other)),
    }
}

fn wrong_type(field: String, expected: &'static str, found: &Value) -> EventError {
    EventError::WrongType {
        field,
        expected,
        found: kind_of(found),
    }
}

/// The JSON kind of `value`, with its article, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
