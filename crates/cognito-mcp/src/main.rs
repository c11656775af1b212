//! `cognito-mcp`: an MCP server that lets AI agents administer an Amazon Cognito user pool.

fn main() -> std::process::ExitCode {
    cognito_mcp::cli::main()
}
