//! MFA operations: a user's MFA preference, and the pool's MFA configuration.

use aws_sdk_cognitoidentityprovider::operation::get_user_pool_mfa_config::GetUserPoolMfaConfigOutput;
use aws_sdk_cognitoidentityprovider::types::{
    EmailMfaConfigType, EmailMfaSettingsType, SmsMfaConfigType, SmsMfaSettingsType,
    SoftwareTokenMfaConfigType, SoftwareTokenMfaSettingsType, UserPoolMfaType,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Subject, finish};
use crate::model::{PoolMfa, UserMfa};
use crate::validate::Invalid;
use crate::{AdminError, CognitoAdmin, Operation, validate};

/// One MFA method's setting for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaMethodSetting {
    /// Turn the method on (true) or off (false) for the user.
    pub enabled: bool,
    /// Make it the method Cognito asks for at sign-in; it must also be enabled. At most one
    /// method is preferred. Default: false.
    #[serde(default)]
    pub preferred: bool,
}

/// Input of `set_user_mfa_preference`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUserMfaPreference {
    /// The username.
    pub username: String,
    /// Authenticator-app (TOTP) codes. Cognito enables it only for a user who has already
    /// registered an authenticator app (the user does that when signing in to the app).
    #[serde(default)]
    pub totp: Option<MfaMethodSetting>,
    /// Codes by SMS to the user's verified phone_number. The pool needs SMS set up.
    #[serde(default)]
    pub sms: Option<MfaMethodSetting>,
    /// Codes by email to the user's verified email. The pool needs the Essentials or Plus
    /// plan and email sent through Amazon SES.
    #[serde(default)]
    pub email: Option<MfaMethodSetting>,
}

/// A user's MFA settings after `set_user_mfa_preference`, as Cognito reports them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UserMfaPreference {
    /// What happened: `mfa_preference_set`.
    pub action: String,
    /// The user.
    pub username: String,
    /// The user's MFA settings, read back with AdminGetUser.
    pub mfa: UserMfa,
    /// What the settings mean at sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The pool's MFA mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaMode {
    /// Nobody is asked for a second factor.
    Off,
    /// Every user must use MFA; a user with no method set up must enroll at next sign-in.
    On,
    /// Users who enabled a method are asked for it; others sign in with a password alone.
    Optional,
}

impl MfaMode {
    fn sdk(self) -> UserPoolMfaType {
        match self {
            Self::Off => UserPoolMfaType::Off,
            Self::On => UserPoolMfaType::On,
            Self::Optional => UserPoolMfaType::Optional,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::On => "on",
            Self::Optional => "optional",
        }
    }
}

/// Input of `set_user_pool_mfa_config`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetUserPoolMfaConfig {
    /// `off`, `on` (every user must use MFA) or `optional` (users who enabled a method).
    /// `on` and `optional` need at least one method enabled.
    pub mode: MfaMode,
    /// Allow authenticator-app (TOTP) codes. Left out: unchanged.
    #[serde(default)]
    pub software_token: Option<bool>,
    /// Allow SMS codes. The pool must already have an SMS configuration (an IAM role Cognito
    /// sends SMS with); it is kept as it is. Left out: unchanged.
    #[serde(default)]
    pub sms: Option<bool>,
    /// Allow email codes. Needs the Essentials or Plus plan and email sent through Amazon SES;
    /// Cognito refuses otherwise. Left out: unchanged.
    #[serde(default)]
    pub email: Option<bool>,
}

/// The methods of a request, with their input field names.
fn methods(req: &SetUserMfaPreference) -> [(&'static str, Option<MfaMethodSetting>); 3] {
    [("totp", req.totp), ("sms", req.sms), ("email", req.email)]
}

const PREFERENCE_EXAMPLE: &str =
    r#"{"username": "alice", "totp": {"enabled": true, "preferred": true}}"#;

/// Checks a `set_user_mfa_preference` input: at least one method, preferred only when
/// enabled, at most one preferred.
fn check_preference(req: &SetUserMfaPreference) -> Result<(), Invalid> {
    const REQ: &str = "at least one of totp, sms and email, each {\"enabled\": true|false, \
        \"preferred\": true|false}; a preferred method must be enabled, and at most one method \
        is preferred";
    let given = methods(req);
    if given.iter().all(|(_, m)| m.is_none()) {
        return Err(Invalid::new(
            "totp",
            "is missing, and so are `sms` and `email`: there is nothing to change",
            REQ,
            PREFERENCE_EXAMPLE,
        ));
    }
    let mut preferred: Option<&str> = None;
    for (field, m) in given {
        let Some(m) = m else { continue };
        if m.preferred && !m.enabled {
            return Err(Invalid::new(
                format!("{field}.preferred"),
                format!(
                    "is true while `{field}.enabled` is false: only an enabled method can be preferred"
                ),
                REQ,
                PREFERENCE_EXAMPLE,
            ));
        }
        if m.preferred {
            if let Some(first) = preferred {
                return Err(Invalid::new(
                    format!("{field}.preferred"),
                    format!(
                        "is true, and so is `{first}.preferred`: only one method can be preferred"
                    ),
                    REQ,
                    PREFERENCE_EXAMPLE,
                ));
            }
            preferred = Some(field);
        }
    }
    Ok(())
}

/// What a user's MFA settings mean at sign-in.
fn preference_note(mfa: &UserMfa) -> String {
    match (&mfa.preferred, mfa.enabled.len()) {
        (_, 0) => "The user has no MFA method enabled: if the pool's MFA mode is ON they must set \
                   one up at next sign-in; otherwise they sign in with a password alone."
            .into(),
        (Some(p), _) => format!(
            "Cognito asks for {p} at sign-in when the pool's MFA mode is ON or OPTIONAL \
             (get_user_pool_mfa_config shows it)."
        ),
        (None, 1) => format!(
            "Cognito asks for {} at sign-in when the pool's MFA mode is ON or OPTIONAL.",
            mfa.enabled[0]
        ),
        (None, _) => "Several methods are enabled and none is preferred: Cognito asks the user \
                      to choose one at sign-in (SELECT_MFA_TYPE)."
            .into(),
    }
}

impl CognitoAdmin {
    /// Sets which MFA methods a user has enabled and prefers (AdminSetUserMFAPreference),
    /// then reads the settings back (AdminGetUser).
    pub async fn set_user_mfa_preference(
        &self,
        req: &SetUserMfaPreference,
    ) -> Result<UserMfaPreference, AdminError> {
        validate::username("username", &req.username)?;
        check_preference(req)?;
        self.check_user_writable("username", &req.username).await?;
        self.check_user_privilege("username", &req.username).await?;
        let mut call = self
            .client()
            .admin_set_user_mfa_preference()
            .user_pool_id(self.pool_id())
            .username(&req.username);
        if let Some(m) = req.totp {
            call = call.software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(m.enabled)
                    .preferred_mfa(m.preferred)
                    .build(),
            );
        }
        if let Some(m) = req.sms {
            call = call.sms_mfa_settings(
                SmsMfaSettingsType::builder()
                    .enabled(m.enabled)
                    .preferred_mfa(m.preferred)
                    .build(),
            );
        }
        if let Some(m) = req.email {
            call = call.email_mfa_settings(
                EmailMfaSettingsType::builder()
                    .enabled(m.enabled)
                    .preferred_mfa(m.preferred)
                    .build(),
            );
        }
        finish(
            Operation::AdminSetUserMfaPreference,
            Subject::User(&req.username),
            call.send().await,
        )?;
        let mfa = self
            .user_mfa(&req.username)
            .await
            .map_err(|e| AdminError::Incomplete {
                completed: format!(
                    "the MFA preference of {:?} was set; call get_user to read it back",
                    req.username
                ),
                source: Box::new(e),
            })?;
        Ok(UserMfaPreference {
            action: "mfa_preference_set".into(),
            username: req.username.clone(),
            note: Some(preference_note(&mfa)),
            mfa,
        })
    }

    /// A user's MFA settings (AdminGetUser).
    pub(crate) async fn user_mfa(&self, username: &str) -> Result<UserMfa, AdminError> {
        let user = self.admin_get_user(username).await?;
        Ok(user.mfa.unwrap_or(UserMfa {
            preferred: None,
            enabled: Vec::new(),
        }))
    }

    /// Reads the pool's MFA configuration (GetUserPoolMfaConfig).
    pub async fn get_user_pool_mfa_config(&self) -> Result<PoolMfa, AdminError> {
        let out = self.mfa_config_raw().await?;
        Ok(pool_mfa(
            out.mfa_configuration(),
            out.software_token_mfa_configuration(),
            out.sms_mfa_configuration(),
            out.email_mfa_configuration(),
        ))
    }

    /// One GetUserPoolMfaConfig.
    pub(crate) async fn mfa_config_raw(&self) -> Result<GetUserPoolMfaConfigOutput, AdminError> {
        finish(
            Operation::GetUserPoolMfaConfig,
            Subject::None,
            self.client()
                .get_user_pool_mfa_config()
                .user_pool_id(self.pool_id())
                .send()
                .await,
        )
    }

    /// Sets the pool's MFA mode and methods (SetUserPoolMfaConfig). Methods left out keep
    /// their current setting (GetUserPoolMfaConfig); SMS keeps the pool's SMS configuration
    /// (DescribeUserPool when MFA has none yet).
    pub async fn set_user_pool_mfa_config(
        &self,
        req: &SetUserPoolMfaConfig,
    ) -> Result<PoolMfa, AdminError> {
        const REQ: &str = "with mode on or optional, at least one of software_token, sms and \
            email enabled (now or already)";
        let example = r#"{"mode": "optional", "software_token": true}"#;
        let explicit_none = [req.software_token, req.sms, req.email]
            .iter()
            .all(|m| *m == Some(false));
        if req.mode != MfaMode::Off && explicit_none {
            return Err(Invalid::new(
                "mode",
                format!(
                    "is `{}` but software_token, sms and email are all false: nobody could \
                     complete MFA",
                    req.mode.name()
                ),
                REQ,
                example,
            )
            .into());
        }
        let current = self.mfa_config_raw().await?;
        let software_token = req.software_token.unwrap_or_else(|| {
            current
                .software_token_mfa_configuration()
                .is_some_and(|c| c.enabled())
        });
        let sms = req
            .sms
            .unwrap_or_else(|| current.sms_mfa_configuration().is_some());
        let email = req
            .email
            .unwrap_or_else(|| current.email_mfa_configuration().is_some());
        if req.mode != MfaMode::Off && !(software_token || sms || email) {
            return Err(Invalid::new(
                "mode",
                format!(
                    "is `{}` but no method would be enabled (the pool has none, and this call \
                     enables none): nobody could complete MFA",
                    req.mode.name()
                ),
                REQ,
                example,
            )
            .into());
        }
        let mut call = self
            .client()
            .set_user_pool_mfa_config()
            .user_pool_id(self.pool_id())
            .mfa_configuration(req.mode.sdk())
            .software_token_mfa_configuration(
                SoftwareTokenMfaConfigType::builder()
                    .enabled(software_token)
                    .build(),
            );
        if sms {
            call = call.sms_mfa_configuration(self.sms_mfa_config(&current).await?);
        }
        if email {
            let kept = current.email_mfa_configuration();
            call = call.email_mfa_configuration(
                EmailMfaConfigType::builder()
                    .set_message(kept.and_then(|c| c.message()).map(str::to_owned))
                    .set_subject(kept.and_then(|c| c.subject()).map(str::to_owned))
                    .build(),
            );
        }
        let out = finish(
            Operation::SetUserPoolMfaConfig,
            Subject::None,
            call.send().await,
        )?;
        Ok(pool_mfa(
            out.mfa_configuration(),
            out.software_token_mfa_configuration(),
            out.sms_mfa_configuration(),
            out.email_mfa_configuration(),
        ))
    }

    /// The SMS MFA configuration to keep: MFA's own, else the pool's SMS configuration
    /// (DescribeUserPool). A pool with neither cannot send SMS codes.
    async fn sms_mfa_config(
        &self,
        current: &aws_sdk_cognitoidentityprovider::operation::get_user_pool_mfa_config::GetUserPoolMfaConfigOutput,
    ) -> Result<SmsMfaConfigType, AdminError> {
        if let Some(c) = current.sms_mfa_configuration()
            && c.sms_configuration().is_some()
        {
            return Ok(c.clone());
        }
        let pool = self.describe_pool_raw().await?;
        let pool = pool.user_pool();
        match pool.and_then(|p| p.sms_configuration()) {
            Some(sms) => Ok(SmsMfaConfigType::builder()
                .sms_configuration(sms.clone())
                .set_sms_authentication_message(
                    pool.and_then(|p| p.sms_authentication_message())
                        .map(str::to_owned),
                )
                .build()),
            None => Err(Invalid::new(
                "sms",
                "is true, but the pool has no SMS configuration (the IAM role Cognito sends SMS \
                 through Amazon SNS with)",
                "set up SMS for the pool first (Cognito console: Authentication methods, SMS; or \
                 UpdateUserPool with SmsConfiguration), then retry; until then, leave sms out",
                r#"{"mode": "optional", "software_token": true}"#,
            )
            .into()),
        }
    }
}

/// A [`PoolMfa`] from the parts of a GetUserPoolMfaConfig or SetUserPoolMfaConfig answer.
pub(crate) fn pool_mfa(
    mode: Option<&UserPoolMfaType>,
    software_token: Option<&SoftwareTokenMfaConfigType>,
    sms: Option<&SmsMfaConfigType>,
    email: Option<&EmailMfaConfigType>,
) -> PoolMfa {
    PoolMfa {
        mode: mode
            .map(|m| m.as_str().to_owned())
            .unwrap_or_else(|| "OFF".into()),
        software_token: Some(software_token.is_some_and(|c| c.enabled())),
        sms: Some(sms.is_some()),
        email: Some(email.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(preferred: bool) -> Option<MfaMethodSetting> {
        Some(MfaMethodSetting {
            enabled: true,
            preferred,
        })
    }

    fn req(
        totp: Option<MfaMethodSetting>,
        sms: Option<MfaMethodSetting>,
        email: Option<MfaMethodSetting>,
    ) -> SetUserMfaPreference {
        SetUserMfaPreference {
            username: "alice".into(),
            totp,
            sms,
            email,
        }
    }

    #[test]
    fn one_preferred_enabled_method_passes() {
        assert!(check_preference(&req(on(true), on(false), None)).is_ok());
        let off = Some(MfaMethodSetting {
            enabled: false,
            preferred: false,
        });
        assert!(check_preference(&req(None, off, None)).is_ok());
    }

    #[test]
    fn nothing_given_fails() {
        let e = check_preference(&req(None, None, None)).expect_err("empty");
        assert_eq!(e.field, "totp");
        assert!(e.problem.contains("`sms` and `email`"), "{}", e.problem);
    }

    #[test]
    fn preferred_without_enabled_fails() {
        let m = Some(MfaMethodSetting {
            enabled: false,
            preferred: true,
        });
        let e = check_preference(&req(None, m, None)).expect_err("not enabled");
        assert_eq!(e.field, "sms.preferred");
        assert!(
            e.problem.contains("`sms.enabled` is false"),
            "{}",
            e.problem
        );
    }

    #[test]
    fn two_preferred_fails() {
        let e = check_preference(&req(on(true), None, on(true))).expect_err("two");
        assert_eq!(e.field, "email.preferred");
        assert!(e.problem.contains("`totp.preferred`"), "{}", e.problem);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<SetUserMfaPreference>(
            r#"{"username": "a", "totp": {"enabled": true, "prefered": true}}"#,
        )
        .expect_err("typo");
        assert!(e.to_string().contains("prefered"), "{e}");
    }
}
