"""Reference answers for crates/cognito-mcp-auth/src/login/srp.rs, computed by pycognito.

The Rust test `login::srp::tests::matches_pycognito_reference` runs this with the peers' venv
(scripts/setup-peers installs pycognito there). It reads one JSON object on stdin:

    {"pool_id", "user_id", "password", "salt", "srp_b", "secret_block", "unix_time",
     "a_hex", "client_id", "client_secret"}

and prints what pycognito's AWSSRP would send for it, with its secret exponent fixed to a_hex
and its clock to unix_time:

    {"srp_a", "signature", "timestamp", "secret_block", "username", "secret_hash"}

No network: AWSSRP gets a stand-in boto3 client that is never called.
"""

import datetime
import json
import sys

try:
    from pycognito.aws_srp import AWSSRP
except ImportError as error:
    sys.exit(f"pycognito is not installed ({error}): run scripts/setup-peers")


def main():
    req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    srp = AWSSRP(
        username=req["user_id"],
        password=req["password"],
        pool_id=req["pool_id"],
        client_id=req["client_id"],
        client=object(),
        client_secret=req["client_secret"],
    )
    # Fix the secret exponent that the constructor drew at random.
    srp.small_a_value = int(req["a_hex"], 16)
    srp.large_a_value = srp.calculate_a()

    # pycognito formats datetime.utcnow(); format the fixed instant with its own formatter and
    # hand that to process_challenge instead.
    when = datetime.datetime.fromtimestamp(req["unix_time"], datetime.timezone.utc)
    timestamp = AWSSRP.get_cognito_formatted_timestamp(when)
    srp.get_cognito_formatted_timestamp = lambda _now: timestamp

    auth_params = srp.get_auth_params()
    response = srp.process_challenge(
        {
            "USERNAME": req["user_id"],
            "USER_ID_FOR_SRP": req["user_id"],
            "SALT": req["salt"],
            "SRP_B": req["srp_b"],
            "SECRET_BLOCK": req["secret_block"],
        },
        auth_params,
    )
    json.dump(
        {
            "srp_a": auth_params["SRP_A"],
            "signature": response["PASSWORD_CLAIM_SIGNATURE"],
            "timestamp": response["TIMESTAMP"],
            "secret_block": response["PASSWORD_CLAIM_SECRET_BLOCK"],
            "username": response["USERNAME"],
            "secret_hash": response["SECRET_HASH"],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
