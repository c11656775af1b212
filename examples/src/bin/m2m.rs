//! A machine-to-machine MCP client: it gets an access token from Cognito with the OAuth
//! client-credentials grant (an app client with a secret and custom scopes), then calls a
//! protected MCP server with it.
//!
//! `COGNITO_DOMAIN` (the pool's domain, `https://PREFIX.auth.REGION.amazoncognito.com`),
//! `COGNITO_CLIENT_ID`, `COGNITO_CLIENT_SECRET`, `MCP_URL` (`http://127.0.0.1:3000/mcp`),
//! `SCOPE` (default `mcp/read`), `TOOL` (default `list_notes`) and `ARGUMENTS` (JSON, default
//! `{}`). Prints the tools it may call and the tool's answer, as JSON.
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token_url = format!("{}/oauth2/token", env("COGNITO_DOMAIN")?.trim_end_matches('/'));
    let scope = std::env::var("SCOPE").unwrap_or_else(|_| "mcp/read".into());
    let answer: serde_json::Value = reqwest::Client::new()
        .post(&token_url)
        .basic_auth(env("COGNITO_CLIENT_ID")?, Some(env("COGNITO_CLIENT_SECRET")?))
        .form(&[("grant_type", "client_credentials"), ("scope", scope.as_str())])
        .send()
        .await?
        .json()
        .await?;
    let Some(token) = answer["access_token"].as_str() else {
        return Err(format!("{token_url} refused: {answer}").into());
    };

    let config = StreamableHttpClientTransportConfig::with_uri(env("MCP_URL")?).auth_header(token);
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await?;
    let tools: Vec<String> = client.list_all_tools().await?.into_iter().map(|t| t.name.to_string()).collect();
    let tool = std::env::var("TOOL").unwrap_or_else(|_| "list_notes".into());
    let arguments = serde_json::from_str(&std::env::var("ARGUMENTS").unwrap_or("{}".into()))?;
    let result = client.call_tool(CallToolRequestParams::new(tool).with_arguments(arguments)).await?;
    println!("{}", serde_json::json!({"tools": tools, "result": result}));
    client.cancel().await?;
    Ok(())
}
