//! The server-rendered pages: consent and errors. Plain HTML that works without JavaScript.

use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// HTML-escapes text.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}\
h1{font-size:1.4rem}.host{font-weight:600}ul{padding-left:1.2rem}\
.actions{display:flex;gap:.75rem;margin-top:1.5rem}button{font-size:1rem;padding:.55rem 1.2rem;border-radius:.4rem;border:1px solid #555;cursor:pointer}\
button.primary{background:#1a56db;color:#fff;border-color:#1a56db}button:focus{outline:3px solid #f59e0b;outline-offset:2px}\
.note{color:#555;font-size:.9rem}.warning{color:#713f12;background:#fefce8;border:1px solid #fde047;padding:.6rem .8rem;border-radius:.3rem}\
label{display:block;font-weight:600;margin-top:1rem}input[type=text],input[type=password],input[type=email]{font-size:1rem;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;border:1px solid #555;border-radius:.3rem}\
input:focus{outline:3px solid #f59e0b;outline-offset:1px}.error{color:#9b1c1c;background:#fdf2f2;border:1px solid #f8b4b4;padding:.6rem .8rem;border-radius:.3rem}\
fieldset{border:none;padding:0;margin:1rem 0 0}legend{font-weight:600}.secret{font-family:monospace;font-size:1.1rem;word-break:break-all}.qr svg{width:13rem;height:13rem}";

/// A page: the shared head, style and security headers around `body`.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The pages must not be framed (clickjacking of the approve button) nor run scripts. No
    // `form-action`: browsers apply it to the redirects that follow a form post, and `*` does
    // not cover the app schemes (`cursor://`) a client may be redirected to; every form here
    // posts to this server, and nothing on the pages is unescaped.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}

/// An error page for a request that cannot be sent back to the client.
pub(crate) fn error(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p>{}</p><p class=\"note\">Go back to your application and start the sign-in again.</p>",
            esc(title),
            esc(message)
        ),
    )
}

/// What the consent page shows.
pub(crate) struct ConsentView<'a> {
    pub(crate) client_name: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) redirect_host: &'a str,
    /// The redirect goes to this machine: the page says any program here could be the client
    /// (MCP 2026-07-28 SHOULD warn of localhost-only redirect URIs).
    pub(crate) loopback: bool,
    pub(crate) resource_name: &'a str,
    pub(crate) scopes: Vec<(String, Option<String>)>,
    pub(crate) txn: &'a str,
    pub(crate) csrf: &'a str,
}

/// The consent page.
pub(crate) fn consent(v: &ConsentView<'_>) -> Response {
    let scopes: String = v
        .scopes
        .iter()
        .map(|(s, d)| match d {
            Some(d) => format!("<li><code>{}</code>: {}</li>", esc(s), esc(d)),
            None => format!("<li><code>{}</code></li>", esc(s)),
        })
        .collect();
    let loopback = if v.loopback {
        format!(
            "<p class=\"warning\" id=\"loopback-warning\">The answer goes to a program on this \
             computer ({host}). Any program running here could claim to be {client}: approve \
             only if you started {client} yourself just now.</p>",
            host = esc(v.redirect_host),
            client = esc(v.client_name),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>Allow {client} to use {resource}?</h1>\
<p><strong id=\"client-name\">{client}</strong> <span class=\"note\">(client id <code>{client_id}</code>)</span> \
asks to act for you at {resource}.</p>\
<p>After you decide, you will be sent to <span class=\"host\" id=\"redirect-host\">{host}</span>. \
Approve only if you started this from an application you trust at that address.</p>\
{loopback}<h2>It asks for</h2><ul id=\"scopes\">{scopes}</ul>\
<p class=\"note\">You will sign in next; what you are granted is also limited by your groups.</p>\
<form method=\"post\" action=\"/consent\">\
<input type=\"hidden\" name=\"txn\" value=\"{txn}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"approve\" class=\"primary\" autofocus>Approve</button>\
<button type=\"submit\" name=\"action\" value=\"deny\">Deny</button></div></form>",
        client = esc(v.client_name),
        client_id = esc(v.client_id),
        resource = esc(v.resource_name),
        host = esc(v.redirect_host),
        txn = esc(v.txn),
        csrf = esc(v.csrf),
    );
    page(StatusCode::OK, "Approve access", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(loopback: bool) -> String {
        let r = consent(&ConsentView {
            client_name: "Agent",
            client_id: "c1",
            redirect_host: "127.0.0.1:53682",
            loopback,
            resource_name: "cognito-mcp",
            scopes: vec![("mcp/read".into(), None)],
            txn: "t",
            csrf: "c",
        });
        let bytes = body_bytes(r);
        String::from_utf8(bytes).expect("utf-8")
    }

    fn body_bytes(r: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            http_body_util::BodyExt::collect(r.into_body())
                .await
                .expect("body")
                .to_bytes()
                .to_vec()
        })
    }

    #[test]
    fn a_loopback_redirect_is_warned_about_and_another_is_not() {
        assert!(view(true).contains("id=\"loopback-warning\""));
        assert!(!view(false).contains("loopback-warning"));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
