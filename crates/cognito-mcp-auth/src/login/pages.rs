//! The sign-in pages: plain server-rendered HTML forms that work without JavaScript. Every
//! field has a label, errors are announced (`role="alert"`) and tied to their field, and the
//! focus lands on the field to fill.

use axum::response::Response;
use http::StatusCode;

use super::PasswordPolicy;
use crate::authz::pages::{esc, page};

/// The hidden fields every form carries.
pub(crate) struct Form<'a> {
    pub(crate) state: &'a str,
    pub(crate) csrf: &'a str,
    pub(crate) title: &'a str,
}

impl Form<'_> {
    fn hidden(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"state\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            esc(self.state),
            esc(self.csrf)
        )
    }
}

fn alert(error: Option<&str>) -> String {
    error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
                esc(e)
            )
        })
        .unwrap_or_default()
}

/// `aria-describedby`/`aria-invalid` for the field an error is about.
fn invalid(error: Option<&str>) -> &'static str {
    if error.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"error\""
    } else {
        ""
    }
}

/// The username-and-password form.
pub(crate) fn sign_in(
    f: &Form<'_>,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    // With a username already typed, the password is the field to fill.
    let (user_focus, pass_focus) = if username.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    let body = format!(
        "<h1>{title}</h1>{alert}\
<form method=\"post\" action=\"/login\">{hidden}\
<label for=\"username\">Username or email</label>\
<input type=\"text\" id=\"username\" name=\"username\" value=\"{username}\" autocomplete=\"username\" \
autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"128\"{user_focus}{inv}>\
<label for=\"password\">Password</label>\
<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required maxlength=\"256\"{pass_focus}{inv}>\
<div class=\"actions\"><button type=\"submit\" class=\"primary\">Sign in</button></div></form>",
        title = esc(f.title),
        alert = alert(error),
        hidden = f.hidden(),
        username = esc(username),
        inv = invalid(error),
    );
    page(status, f.title, &body)
}

/// The new-password form (`NEW_PASSWORD_REQUIRED`), with the pool's policy shown.
pub(crate) fn new_password(
    f: &Form<'_>,
    policy: &PasswordPolicy,
    required_attributes: &[String],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let rules: String = super::policy::describe(policy)
        .iter()
        .map(|r| format!("<li>{}</li>", esc(r)))
        .collect();
    let attrs: String = required_attributes
        .iter()
        .map(|a| {
            let id = format!(
                "attr-{}",
                a.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            );
            format!(
                "<label for=\"{id}\">{label}</label>\
<input type=\"text\" id=\"{id}\" name=\"userAttributes.{name}\" required maxlength=\"2048\">",
                label = esc(&attribute_label(a)),
                name = esc(a),
            )
        })
        .collect();
    let body = format!(
        "<h1>Choose a new password</h1>{alert}\
<p>Your account needs a new password before you can continue.</p>\
<form method=\"post\" action=\"/login/challenge\">{hidden}\
<p id=\"rules-title\"><strong>The password must have:</strong></p><ul id=\"rules\" aria-labelledby=\"rules-title\">{rules}</ul>\
<label for=\"new_password\">New password</label>\
<input type=\"password\" id=\"new_password\" name=\"new_password\" autocomplete=\"new-password\" required \
minlength=\"{min}\" maxlength=\"256\" aria-describedby=\"rules{err}\" autofocus{aria_inv}>\
<label for=\"confirm_password\">New password again</label>\
<input type=\"password\" id=\"confirm_password\" name=\"confirm_password\" autocomplete=\"new-password\" required \
minlength=\"{min}\" maxlength=\"256\">{attrs}\
<div class=\"actions\"><button type=\"submit\" class=\"primary\">Set password and continue</button></div></form>",
        alert = alert(error),
        hidden = f.hidden(),
        min = policy.minimum_length,
        err = if error.is_some() { " error" } else { "" },
        aria_inv = if error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        },
    );
    page(status, "Choose a new password", &body)
}

fn attribute_label(a: &str) -> String {
    let plain = a.trim_start_matches("custom:").replace('_', " ");
    let mut c = plain.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => plain,
    }
}

/// Which one-time code a page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeKind {
    Totp,
    Sms,
    Email,
}

/// A one-time-code form: authenticator app, SMS or email.
pub(crate) fn code(
    f: &Form<'_>,
    kind: CodeKind,
    destination: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let (title, intro) = match kind {
        CodeKind::Totp => (
            "Enter your authenticator code",
            "Open your authenticator app and enter the 6-digit code it shows for this account."
                .to_owned(),
        ),
        CodeKind::Sms => (
            "Enter the code we texted you",
            format!(
                "A code was sent by text message{}.",
                destination
                    .map(|d| format!(" to {}", esc(d)))
                    .unwrap_or_default()
            ),
        ),
        CodeKind::Email => (
            "Enter the code we emailed you",
            format!(
                "A code was sent by email{}.",
                destination
                    .map(|d| format!(" to {}", esc(d)))
                    .unwrap_or_default()
            ),
        ),
    };
    let (pattern, max) = match kind {
        CodeKind::Email => ("[0-9]{6,8}", 8),
        _ => ("[0-9]{6}", 6),
    };
    let body = format!(
        "<h1>{title}</h1>{alert}<p id=\"code-help\">{intro}</p>\
<form method=\"post\" action=\"/login/challenge\">{hidden}\
<label for=\"code\">Code</label>\
<input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" pattern=\"{pattern}\" maxlength=\"{max}\" \
autocomplete=\"one-time-code\" required autofocus aria-describedby=\"code-help{err}\"{aria_inv}>\
<div class=\"actions\"><button type=\"submit\" class=\"primary\">Verify</button></div></form>",
        alert = alert(error),
        hidden = f.hidden(),
        err = if error.is_some() { " error" } else { "" },
        aria_inv = if error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        },
    );
    page(status, title, &body)
}

/// The choice of second factor (`SELECT_MFA_TYPE`).
pub(crate) fn select_mfa(
    f: &Form<'_>,
    options: &[String],
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let radios: String = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let label = match o.as_str() {
                "SOFTWARE_TOKEN_MFA" => "Authenticator app",
                "SMS_MFA" => "Text message (SMS)",
                "EMAIL_OTP" => "Email",
                other => other,
            };
            format!(
                "<div><input type=\"radio\" id=\"mfa-{i}\" name=\"mfa\" value=\"{v}\"{checked} required>\
<label for=\"mfa-{i}\" style=\"display:inline;font-weight:400\">{l}</label></div>",
                v = esc(o),
                l = esc(label),
                checked = if i == 0 { " checked autofocus" } else { "" },
            )
        })
        .collect();
    let body = format!(
        "<h1>Choose how to verify it's you</h1>{alert}\
<form method=\"post\" action=\"/login/challenge\">{hidden}\
<fieldset><legend>Second step</legend>{radios}</fieldset>\
<div class=\"actions\"><button type=\"submit\" class=\"primary\">Continue</button></div></form>",
        alert = alert(error),
        hidden = f.hidden(),
    );
    page(status, "Choose how to verify it's you", &body)
}

/// TOTP enrollment (`MFA_SETUP`): the QR code, the secret as text, and the first code.
pub(crate) fn totp_setup(
    f: &Form<'_>,
    secret: &str,
    otpauth_uri: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let qr = qr_svg(otpauth_uri);
    let body = format!(
        "<h1>Set up your authenticator app</h1>{alert}\
<p>This account needs a second step at sign-in. Scan this code with an authenticator app \
(such as Google Authenticator, Microsoft Authenticator or 1Password):</p>\
<div class=\"qr\" role=\"img\" aria-label=\"QR code for your authenticator app; the same key is written out below\">{qr}</div>\
<p>Or enter this key by hand:</p><p class=\"secret\" id=\"secret\">{secret}</p>\
<form method=\"post\" action=\"/login/challenge\">{hidden}\
<label for=\"code\">The 6-digit code the app now shows</label>\
<input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" \
autocomplete=\"one-time-code\" required autofocus{inv}>\
<div class=\"actions\"><button type=\"submit\" class=\"primary\">Verify and continue</button></div></form>",
        alert = alert(error),
        secret = esc(&group4(secret)),
        hidden = f.hidden(),
        inv = invalid(error),
    );
    page(status, "Set up your authenticator app", &body)
}

/// The secret in groups of four, easier to type.
fn group4(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An inline SVG QR code (no image request, so the pages' CSP stays `default-src 'none'`).
fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // Inline: drop the XML declaration.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_owned(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_grouped_for_typing() {
        assert_eq!(group4("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn qr_is_inline_svg() {
        let svg = qr_svg("otpauth://totp/x:y?secret=ABCD&issuer=x");
        assert!(svg.starts_with("<svg"), "{svg:.40}");
    }

    #[test]
    fn attribute_labels_are_plain_words() {
        assert_eq!(attribute_label("custom:department"), "Department");
        assert_eq!(attribute_label("family_name"), "Family name");
    }
}
