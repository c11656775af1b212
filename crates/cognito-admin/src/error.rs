//! [`AdminError`]: every way an admin operation can fail, each with a hint to retry.

use std::error::Error as StdError;

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::RequestId;

use crate::Operation;
use crate::password::{PasswordPolicy, PasswordRule};
use crate::validate::Invalid;

/// Why an admin operation failed.
///
/// [`AdminError::code`] is a stable snake_case identifier; [`AdminError::hint`] says what to
/// change so the next call succeeds. Neither ever contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// An input failed a check before any AWS call.
    #[error("{0}")]
    Invalid(Invalid),

    /// A password breaks the pool's password policy (checked before AWS sees it).
    #[error("`{field}` does not meet the pool's password policy: fails {}", rules_list(.failed))]
    WeakPassword {
        /// The input field that held the password.
        field: String,
        /// Every rule the password breaks.
        failed: Vec<PasswordRule>,
        /// The policy it was checked against.
        policy: PasswordPolicy,
    },

    /// `AdminCreateUser` found the username taken.
    #[error("a user named {username:?} already exists")]
    UsernameExists {
        /// The username asked for.
        username: String,
    },

    /// The user does not exist.
    #[error("no user named {username:?} exists in the pool")]
    UserNotFound {
        /// The username looked for.
        username: String,
    },

    /// The group does not exist.
    #[error("no group named {group:?} exists in the pool")]
    GroupNotFound {
        /// The group looked for.
        group: String,
    },

    /// `CreateGroup` found the name taken.
    #[error("a group named {group:?} already exists")]
    GroupExists {
        /// The group asked for.
        group: String,
    },

    /// Cognito rejected a password (`InvalidPasswordException`).
    #[error("Cognito rejected the password: {message}")]
    InvalidPassword {
        /// Cognito's message (it does not echo the password).
        message: String,
    },

    /// Cognito rejected a parameter (`InvalidParameterException`).
    #[error("Cognito rejected a parameter of {operation}: {message}")]
    InvalidParameter {
        /// The operation.
        operation: Operation,
        /// Cognito's message.
        message: String,
    },

    /// Cognito throttled the call (`TooManyRequestsException`).
    #[error("Cognito throttled {operation} (TooManyRequestsException)")]
    TooManyRequests {
        /// The throttled operation.
        operation: Operation,
    },

    /// Cognito refused the operation for this user or pool state (`NotAuthorizedException`).
    #[error("Cognito refused {operation}: {message}")]
    NotAuthorized {
        /// The operation.
        operation: Operation,
        /// Cognito's message.
        message: String,
    },

    /// Cognito refused a sign-in check (`NotAuthorizedException` of AdminInitiateAuth or
    /// AdminRespondToAuthChallenge): a wrong username or password, a disabled user, too many
    /// failed attempts, or a session that expired or was already used.
    #[error("Cognito refused the sign-in ({operation}): {message}")]
    SignInRefused {
        /// The operation.
        operation: Operation,
        /// Cognito's message (it never holds the password).
        message: String,
    },

    /// Cognito refused an MFA code (`CodeMismatchException`, `ExpiredCodeException`).
    #[error("Cognito refused the code ({operation}): {message}")]
    CodeMismatch {
        /// The operation.
        operation: Operation,
        /// Cognito's message (it never holds the code).
        message: String,
    },

    /// IAM denied the operation to the server's credentials.
    #[error("the AWS credentials are not allowed to call {operation}: {message}")]
    AccessDenied {
        /// The denied operation.
        operation: Operation,
        /// AWS's message.
        message: String,
    },

    /// The pool (or another resource) does not exist (`ResourceNotFoundException`).
    #[error("{operation}: resource not found: {message}")]
    ResourceNotFound {
        /// The operation.
        operation: Operation,
        /// Cognito's message.
        message: String,
    },

    /// No AWS credentials could be found.
    #[error("no AWS credentials: {detail}")]
    NoCredentials {
        /// What the credential chain said.
        detail: String,
    },

    /// AWS rejected the credentials (unknown key, bad signature, expired session).
    #[error("AWS rejected the credentials: {detail}")]
    InvalidCredentials {
        /// AWS's error code and message.
        detail: String,
    },

    /// The Cognito endpoint could not be reached.
    #[error("cannot reach the Cognito endpoint for {operation}: {detail}")]
    Unreachable {
        /// The operation.
        operation: Operation,
        /// The connection error.
        detail: String,
    },

    /// The call timed out.
    #[error("{operation} timed out")]
    Timeout {
        /// The operation.
        operation: Operation,
    },

    /// The user or group is on the protected list: no operation changes it.
    #[error("{kind} {name:?} (`{field}`) is protected: this server never changes it")]
    Protected {
        /// The input that named it.
        field: String,
        /// `user`, `group` or `client`.
        kind: &'static str,
        /// The name as given.
        name: String,
    },

    /// The change would give someone, or take over an account with, privilege the acting
    /// caller does not hold.
    #[error(
        "{kind} {name:?} (`{field}`) holds {}, which you do not: changing it needs every scope it holds",
        missing.join(", ")
    )]
    InsufficientPrivilege {
        /// The input that named it.
        field: String,
        /// `user` or `group`.
        kind: &'static str,
        /// The name as given.
        name: String,
        /// The scopes it holds (a group: grants) that the caller lacks.
        missing: Vec<String>,
    },

    /// Part of a multi-step operation was done before a later step failed.
    #[error("{completed}, but then: {source}")]
    Incomplete {
        /// What was done and stays done.
        completed: String,
        /// Why the rest failed.
        source: Box<AdminError>,
    },

    /// The audit is off (`audit.enabled = false`): no records are kept to read.
    #[error("the audit is off (audit.enabled = false in the config), so no records are kept")]
    AuditDisabled,

    /// The audit goes to standard error (`/dev/stderr`, the default on AWS Lambda), which the
    /// server cannot read back.
    #[error("the audit goes to standard error (/dev/stderr), which this server cannot read back")]
    AuditOnStderr,

    /// The audit file exists but could not be read.
    #[error("cannot read the audit file {path}: {detail}")]
    AuditUnreadable {
        /// The file.
        path: String,
        /// The I/O error.
        detail: String,
    },

    /// Any other error AWS returned.
    #[error("{operation} failed: {code}: {message}")]
    Aws {
        /// The operation.
        operation: Operation,
        /// AWS's error code, e.g. `LimitExceededException`.
        code: String,
        /// AWS's message.
        message: String,
    },
}

fn rules_list(rules: &[PasswordRule]) -> String {
    rules
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<Invalid> for AdminError {
    fn from(value: Invalid) -> Self {
        Self::Invalid(value)
    }
}

impl AdminError {
    /// A stable snake_case code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::WeakPassword { .. } => "weak_password",
            Self::UsernameExists { .. } => "username_exists",
            Self::UserNotFound { .. } => "user_not_found",
            Self::GroupNotFound { .. } => "group_not_found",
            Self::GroupExists { .. } => "group_exists",
            Self::InvalidPassword { .. } => "invalid_password",
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::NotAuthorized { .. } => "not_authorized",
            Self::SignInRefused { .. } => "sign_in_refused",
            Self::CodeMismatch { .. } => "code_mismatch",
            Self::AccessDenied { .. } => "access_denied",
            Self::ResourceNotFound { .. } => "resource_not_found",
            Self::NoCredentials { .. } => "no_credentials",
            Self::InvalidCredentials { .. } => "invalid_credentials",
            Self::Unreachable { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
            Self::Protected { .. } => "protected",
            Self::InsufficientPrivilege { .. } => "insufficient_scope",
            Self::Incomplete { source, .. } => source.code(),
            Self::AuditDisabled => "audit_disabled",
            Self::AuditOnStderr => "audit_on_stderr",
            Self::AuditUnreadable { .. } => "audit_unreadable",
            Self::Aws { .. } => "aws_error",
        }
    }

    /// Whether the same call may succeed later without changes.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::TooManyRequests { .. } | Self::Timeout { .. } | Self::Unreachable { .. }
        )
    }

    /// What to change so the next call succeeds.
    pub fn hint(&self) -> String {
        match self {
            Self::Invalid(i) => format!(
                "Required: {}. Example of a valid value: {}",
                i.requirement, i.example
            ),
            Self::WeakPassword { failed, policy, .. } => {
                let missing: Vec<String> = failed.iter().map(|r| policy.explain(*r)).collect();
                format!(
                    "The password needs {}. The pool requires {}. A password of the right shape \
                     looks like {} (do not use this example itself). To let Cognito generate a \
                     temporary password instead, leave the password out.",
                    missing.join("; "),
                    policy.summary(),
                    policy.example()
                )
            }
            Self::UsernameExists { .. } => "Choose a different username, or call get_user to \
                inspect the existing user."
                .into(),
            Self::UserNotFound { .. } => "Check the spelling, or call list_users with a filter \
                such as username ^= \"ali\" or email ^= \"ali\" to find the exact username."
                .into(),
            Self::GroupNotFound { .. } => {
                "Call list_groups to see the exact group names, or create_group to create it."
                    .into()
            }
            Self::GroupExists { .. } => {
                "The group is already there: use it, or choose another name.".into()
            }
            Self::InvalidPassword { .. } => "Call describe_user_pool to read the password policy \
                and choose a password that meets it; a password may also be refused because the \
                user used it before."
                .into(),
            Self::InvalidParameter { .. } => "Fix the parameter Cognito names in the message and \
                retry; describe_user_pool shows the pool's schema and settings."
                .into(),
            Self::TooManyRequests { .. } => {
                "Cognito's request quota was hit. Wait a second or two \
                and retry the same call; for many users, spread the calls out."
                    .into()
            }
            Self::NotAuthorized {
                operation: Operation::AdminResetUserPassword,
                ..
            } => {
                "Only a CONFIRMED user with a verified email or phone can be reset. For a user in \
                 FORCE_CHANGE_PASSWORD, call set_user_password with a new temporary password \
                 instead; call get_user to see the status."
                    .into()
            }
            Self::NotAuthorized { .. } => {
                "Cognito does not allow this for the user or pool in its \
                current state; call get_user or describe_user_pool to see that state."
                    .into()
            }
            Self::SignInRefused {
                operation: Operation::AdminRespondToAuthChallenge,
                ..
            } => "The session expired (Cognito keeps it 3 minutes), was already used, or does not \
                 belong to this user. Start again with test_sign_in and answer the new challenge \
                 promptly."
                .into(),
            Self::SignInRefused { .. } => {
                "The password is wrong, the user is disabled, or the user has too many failed \
                 attempts (Cognito's message says which). Each failed attempt counts toward \
                 Cognito's lockout of the user, so do not retry with guesses: confirm the \
                 password, call get_user to check the user is enabled, or set a known password \
                 with set_user_password."
                    .into()
            }
            Self::CodeMismatch { .. } => {
                "The code is wrong or expired. Read a fresh code (an authenticator app shows a \
                 new one every 30 seconds) and call respond_to_auth_challenge again with the same \
                 session; if Cognito then says the session is invalid, start again with \
                 test_sign_in."
                    .into()
            }
            Self::AccessDenied { operation, .. } => format!(
                "Grant the server's IAM identity {} on this pool (`cognito-mcp iam-policy` prints \
                 the whole least-privilege policy), or disable the tool in the config.",
                operation.iam_action()
            ),
            Self::ResourceNotFound { .. } => "Check COGNITO_USER_POOL_ID and AWS_REGION: the pool \
                must exist in that region (`cognito-mcp check` verifies both)."
                .into(),
            Self::InvalidCredentials { .. } => "The server's AWS credentials were rejected: the \
                operator must fix the access key, secret or session token (or refresh SSO). \
                Retrying will not help until then."
                .into(),
            Self::NoCredentials { .. } => "Provide AWS credentials through the standard chain: \
                AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO \
                (`aws sso login`), or an instance or task role."
                .into(),
            Self::Unreachable { .. } => "Check the network, or the endpoint override \
                AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER / AWS_ENDPOINT_URL if set; then retry."
                .into(),
            Self::Timeout { .. } => "Retry the same call; if it keeps timing out, check the \
                network path to Cognito."
                .into(),
            Self::Protected { kind: "client", .. } => "Leave this app client out: it is \
                protected (safety.protected_clients in the config, or an app client this \
                server itself signs in with or verifies tokens of). A person with direct AWS \
                access must make this change, or the operator must take it off the list."
                .to_owned(),
            Self::Protected { kind, .. } => format!(
                "Leave this {kind} out: it is on the server's protected list (safety.protected_\
                 {kind}s in the config), kept for break-glass access. A person with direct AWS \
                 access must make this change, or the operator must take it off the list."
            ),
            Self::InsufficientPrivilege { kind, missing, .. } => format!(
                "Leave this {kind} out, or have someone who holds {} make the change. No caller \
                 may give anyone, themselves included, privilege they do not hold, nor change a \
                 user (password, attributes, MFA, sessions, status) whose groups grant more than \
                 they hold. Privilege comes from Cognito groups: an administrator can add you to \
                 a group that grants it.",
                missing.join(", ")
            ),
            Self::Incomplete { completed, source } => format!(
                "Do not repeat the whole call: {completed} already. Fix what failed ({}), then \
                 finish with the single step that failed.",
                source.hint()
            ),
            Self::AuditDisabled => "Nothing was recorded, so there is nothing to read. The \
                operator can turn the audit on with `enabled = true` (the default) under \
                `[audit]` in the config file, then restart the server; calls from then on are \
                recorded."
                .into(),
            Self::AuditOnStderr => "The records are wherever this server's standard error goes. \
                On AWS Lambda that is CloudWatch Logs: the function's log group \
                (/aws/lambda/FUNCTION_NAME), one JSON line per call, which CloudWatch Logs \
                Insights can query (for example `fields @timestamp, actor, tool, outcome | \
                filter tool = \"delete_user\"`). Elsewhere, look in the log of whatever started \
                the server. To read them with read_audit instead, the operator sets \
                COGNITO_MCP_AUDIT_FILE (or `file` under `[audit]`) to a file path, for example \
                /var/lib/cognito-mcp/audit.jsonl."
                .into(),
            Self::AuditUnreadable { .. } => "The operator checks that the audit file (\
                COGNITO_MCP_AUDIT_FILE, or `file` under `[audit]`) is a file the server's user \
                can read; the message above names the cause."
                .into(),
            Self::Aws { .. } => "Read AWS's message above; fix what it names and retry.".into(),
        }
    }

    /// Maps an SDK error from `operation` to an [`AdminError`], using `subject` to name the
    /// user or group the call was about.
    pub(crate) fn from_sdk<E, R>(
        operation: Operation,
        subject: Subject<'_>,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or("Unknown").to_owned();
                let message = e.message().unwrap_or("").to_owned();
                Self::from_service(operation, subject, &code, message)
            }
            SdkError::TimeoutError(_) => Self::Timeout { operation },
            SdkError::DispatchFailure(_) => {
                let detail = chain(&err);
                if detail.to_ascii_lowercase().contains("credential") {
                    Self::NoCredentials { detail }
                } else {
                    Self::Unreachable { operation, detail }
                }
            }
            SdkError::ConstructionFailure(_) | SdkError::ResponseError(_) => {
                let detail = chain(&err);
                if detail.to_ascii_lowercase().contains("credential") {
                    Self::NoCredentials { detail }
                } else {
                    Self::Aws {
                        operation,
                        code: "SdkError".into(),
                        message: detail,
                    }
                }
            }
            _ => Self::Aws {
                operation,
                code: "SdkError".into(),
                message: chain(&err),
            },
        }
    }

    fn from_service(
        operation: Operation,
        subject: Subject<'_>,
        code: &str,
        message: String,
    ) -> Self {
        match (code, subject) {
            ("UsernameExistsException", Subject::User(u)) => Self::UsernameExists {
                username: u.to_owned(),
            },
            ("UserNotFoundException", Subject::User(u) | Subject::UserInGroup(u, _)) => {
                Self::UserNotFound {
                    username: u.to_owned(),
                }
            }
            ("GroupExistsException", Subject::Group(g)) => Self::GroupExists {
                group: g.to_owned(),
            },
            ("ResourceNotFoundException", Subject::Group(g) | Subject::UserInGroup(_, g))
                if !message.to_ascii_lowercase().contains("pool") =>
            {
                Self::GroupNotFound {
                    group: g.to_owned(),
                }
            }
            ("InvalidPasswordException", _) => Self::InvalidPassword { message },
            ("InvalidParameterException", _) => Self::InvalidParameter { operation, message },
            ("TooManyRequestsException" | "ThrottlingException", _) => {
                Self::TooManyRequests { operation }
            }
            // Not the user's credentials: the app client's secret (moto's message is the refused
            // hash itself, which is not worth echoing).
            ("NotAuthorizedException", _) if cognito_idp::secret_hash_rejected(code, &message) => {
                Self::NotAuthorized {
                    operation,
                    message: "the app client's secret was refused (SECRET_HASH): \
                              sign_in.client_secret or COGNITO_CLIENT_SECRET is not the app \
                              client's secret (during a rotation, also set \
                              COGNITO_CLIENT_SECRET_PREVIOUS, or keep the old value as the \
                              Secrets Manager secret's previous version)"
                        .into(),
                }
            }
            ("NotAuthorizedException", _)
                if matches!(
                    operation,
                    Operation::AdminInitiateAuth | Operation::AdminRespondToAuthChallenge
                ) =>
            {
                Self::SignInRefused { operation, message }
            }
            ("NotAuthorizedException", _) => Self::NotAuthorized { operation, message },
            ("CodeMismatchException" | "ExpiredCodeException", _) => {
                Self::CodeMismatch { operation, message }
            }
            ("AccessDeniedException" | "AccessDenied", _) => {
                Self::AccessDenied { operation, message }
            }
            ("ResourceNotFoundException", _) => Self::ResourceNotFound { operation, message },
            (
                "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredTokenException"
                | "InvalidSignatureException"
                | "SignatureDoesNotMatch"
                | "MissingAuthenticationTokenException",
                _,
            ) => Self::InvalidCredentials {
                detail: format!("{code}: {message}"),
            },
            _ => Self::Aws {
                operation,
                code: code.to_owned(),
                message,
            },
        }
    }
}

/// What an operation was about, to name it in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    /// Nothing in particular.
    None,
    /// A user.
    User(&'a str),
    /// A group.
    Group(&'a str),
    /// A user and a group.
    UserInGroup(&'a str, &'a str),
}

fn chain(err: &dyn StdError) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Records a finished SDK call, then maps its error.
pub(crate) fn finish<T, E>(
    operation: Operation,
    subject: Subject<'_>,
    result: Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>,
) -> Result<T, AdminError>
where
    T: RequestId,
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match result {
        Ok(out) => {
            crate::calls::record(operation, out.request_id());
            Ok(out)
        }
        Err(err) => {
            crate::calls::record(operation, err.request_id());
            Err(AdminError::from_sdk(operation, subject, err))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_secret_hash_names_the_client_secret_not_the_password() {
        let hash = "qROqM+PMKX09MK8ulDVm8LCWdCRqQQEUG9HcF+N7/S4=";
        for message in [
            hash,
            "Unable to verify secret hash for client 1example23456789",
        ] {
            let e = AdminError::from_service(
                Operation::AdminRespondToAuthChallenge,
                Subject::User("alice"),
                "NotAuthorizedException",
                message.to_owned(),
            );
            let text = e.to_string();
            assert_eq!(e.code(), "not_authorized", "{text}");
            assert!(text.contains("COGNITO_CLIENT_SECRET"), "{text}");
            assert!(!text.contains(hash), "{text}");
        }
        let wrong_password = AdminError::from_service(
            Operation::AdminInitiateAuth,
            Subject::User("alice"),
            "NotAuthorizedException",
            "Incorrect username or password.".to_owned(),
        );
        assert_eq!(wrong_password.code(), "sign_in_refused");
    }
}
