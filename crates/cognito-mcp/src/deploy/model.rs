//! The infrastructure as one model: parameters, resources and outputs, and its CloudFormation
//! rendering (`cdk.rs` renders the same model as a CDK app).

use serde_json::{Map, Value, json};

/// A template parameter: what cannot be known when the template is generated.
#[derive(Debug, Clone)]
pub(crate) struct Parameter {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) default: Option<String>,
    pub(crate) no_echo: bool,
}

/// One resource.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    pub(crate) id: String,
    pub(crate) kind: &'static str,
    pub(crate) properties: Value,
    pub(crate) depends_on: Vec<String>,
    /// Kept when the stack is deleted or the resource replaced (the pool: users are data).
    pub(crate) retain: bool,
}

/// One output.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    pub(crate) id: &'static str,
    pub(crate) description: &'static str,
    pub(crate) value: Value,
}

/// The whole infrastructure, in dependency order (a resource comes after what it refers to).
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) description: String,
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) resources: Vec<Resource>,
    pub(crate) outputs: Vec<Output>,
}

/// `{"Ref": id}`.
pub(crate) fn r#ref(id: &str) -> Value {
    json!({ "Ref": id })
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub(crate) fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

/// `{"Fn::Sub": text}`.
pub(crate) fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

impl Template {
    /// The CloudFormation template as JSON.
    pub(crate) fn cloudformation(&self) -> Value {
        let mut out = Map::new();
        out.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        out.insert("Description".into(), json!(self.description));
        if !self.parameters.is_empty() {
            let params: Map<String, Value> = self
                .parameters
                .iter()
                .map(|p| {
                    let mut v = json!({ "Type": "String", "Description": p.description });
                    if let Some(d) = &p.default {
                        v["Default"] = json!(d);
                    }
                    if p.no_echo {
                        v["NoEcho"] = json!(true);
                    }
                    (p.id.clone(), v)
                })
                .collect();
            out.insert("Parameters".into(), Value::Object(params));
        }
        let resources: Map<String, Value> = self
            .resources
            .iter()
            .map(|r| {
                let mut v = json!({ "Type": r.kind, "Properties": r.properties });
                if !r.depends_on.is_empty() {
                    let mut sorted = r.depends_on.clone();
                    sorted.sort();
                    v["DependsOn"] = json!(sorted);
                }
                if r.retain {
                    v["DeletionPolicy"] = json!("Retain");
                    v["UpdateReplacePolicy"] = json!("Retain");
                }
                (r.id.clone(), v)
            })
            .collect();
        out.insert("Resources".into(), Value::Object(resources));
        let outputs: Map<String, Value> = self
            .outputs
            .iter()
            .map(|o| {
                (
                    o.id.to_owned(),
                    json!({ "Description": o.description, "Value": o.value }),
                )
            })
            .collect();
        out.insert("Outputs".into(), Value::Object(outputs));
        Value::Object(out)
    }
}
