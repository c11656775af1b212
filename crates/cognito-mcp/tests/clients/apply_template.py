"""Applies a generated CloudFormation template's Cognito resources to moto's Cognito API.

moto's CloudFormation has no model for any AWS::Cognito::* type, so a stack of our template
would create none of the pool. This does what CloudFormation would for those resources, in the
template's order, with the same properties, resolving Ref, Fn::GetAtt and Fn::Sub, and reports
which of the template's types moto's CloudFormation lacks.

    python apply_template.py ENDPOINT TEMPLATE.json [PARAM=VALUE ...]

Prints one JSON object: {"outputs": {...}, "applied": [...], "skipped": [...],
"cloudformation_lacks": [...], "client_secret": "..."}.
"""

import contextlib
import io
import json
import re
import sys
import warnings

import boto3

warnings.simplefilter("ignore")
from moto.cloudformation.parsing import resource_class_from_type  # noqa: E402

REGION = "us-east-1"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": "123456789012",
}


class Unresolved(Exception):
    """A reference to something that was not created here (Lambda, IAM)."""


def main():
    endpoint, path = sys.argv[1], sys.argv[2]
    params = dict(a.split("=", 1) for a in sys.argv[3:])
    template = json.load(open(path))
    idp = boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for pid, p in template.get("Parameters", {}).items():
        params.setdefault(pid, p.get("Default", f"param-{pid}"))
    refs, atts = {}, {}

    def resolve(v):
        if isinstance(v, dict) and len(v) == 1:
            (k, x), = v.items()
            if k == "Ref":
                if x in PSEUDO:
                    return PSEUDO[x]
                if x in params:
                    return params[x]
                if x in refs:
                    return refs[x]
                raise Unresolved(x)
            if k == "Fn::GetAtt":
                key = tuple(x)
                if key in atts:
                    return atts[key]
                raise Unresolved(".".join(x))
            if k == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(sub_ref(m.group(1))), x)
        if isinstance(v, dict):
            return {k: resolve(x) for k, x in v.items()}
        if isinstance(v, list):
            return [resolve(x) for x in v]
        return v

    def sub_ref(name):
        if "." in name:
            return resolve({"Fn::GetAtt": name.split(".", 1)})
        return resolve({"Ref": name})

    applied, skipped = [], []
    # The template's JSON object is sorted by id; apply in dependency order instead.
    pending = dict(template["Resources"])
    while pending:
        progressed = False
        for rid, r in list(pending.items()):
            kind = r["Type"]
            if not kind.startswith("AWS::Cognito::"):
                skipped.append({"id": rid, "type": kind, "why": "not a Cognito resource"})
                del pending[rid]
                progressed = True
                continue
            if any(d in pending for d in r.get("DependsOn", [])):
                continue  # as CloudFormation: after what it depends on
            props = dict(r.get("Properties", {}))
            dropped = []
            if kind == "AWS::Cognito::UserPool" and "LambdaConfig" in props:
                try:
                    props["LambdaConfig"] = resolve(props["LambdaConfig"])
                except Unresolved:
                    # The trigger is a Lambda function, not created here.
                    dropped.append("LambdaConfig")
                    del props["LambdaConfig"]
            try:
                props = resolve(props)
            except Unresolved:
                continue  # its target is not there yet
            create(idp, rid, kind, props, refs, atts)
            applied.append({"id": rid, "type": kind, "dropped": dropped})
            del pending[rid]
            progressed = True
        if not progressed:
            raise SystemExit(f"cannot resolve the references of {sorted(pending)}")

    outputs = {}
    for oid, o in template.get("Outputs", {}).items():
        try:
            outputs[oid] = resolve(o["Value"])
        except Unresolved as e:
            outputs[oid] = None
            skipped.append({"id": oid, "type": "Output", "why": f"refers to {e}"})
    with contextlib.redirect_stdout(io.StringIO()):  # moto prints what it lacks
        lacks = sorted({r["Type"] for r in template["Resources"].values()
                        if resource_class_from_type(r["Type"]) is None})
    print(json.dumps({
        "outputs": outputs,
        "applied": applied,
        "skipped": skipped,
        "cloudformation_lacks": lacks,
        "client_secret": atts.get(("AppClient", "ClientSecret")),
    }))


def create(idp, rid, kind, p, refs, atts):
    if kind == "AWS::Cognito::UserPool":
        args = {k: v for k, v in p.items() if k not in ("UserPoolName", "EnabledMfas")}
        # CloudFormation sets MFA after creating the pool (SetUserPoolMfaConfig), as here.
        mfa = args.pop("MfaConfiguration", "OFF")
        pool = idp.create_user_pool(PoolName=p["UserPoolName"], **args)["UserPool"]
        if "SOFTWARE_TOKEN_MFA" in p.get("EnabledMfas", []):
            idp.set_user_pool_mfa_config(
                UserPoolId=pool["Id"],
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration=mfa,
            )
        refs[rid] = pool["Id"]
        atts[(rid, "Arn")] = pool["Arn"]
        atts[(rid, "ProviderName")] = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
        atts[(rid, "ProviderURL")] = f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    elif kind == "AWS::Cognito::UserPoolResourceServer":
        idp.create_resource_server(**p)
        refs[rid] = p["Identifier"]
    elif kind == "AWS::Cognito::UserPoolDomain":
        idp.create_user_pool_domain(**p)
        refs[rid] = p["Domain"]
    elif kind == "AWS::Cognito::UserPoolIdentityProvider":
        idp.create_identity_provider(**p)
        refs[rid] = p["ProviderName"]
    elif kind == "AWS::Cognito::UserPoolClient":
        client = idp.create_user_pool_client(**p)["UserPoolClient"]
        refs[rid] = client["ClientId"]
        atts[(rid, "ClientId")] = client["ClientId"]
        atts[(rid, "ClientSecret")] = client.get("ClientSecret")
    elif kind == "AWS::Cognito::UserPoolGroup":
        idp.create_group(**p)
        refs[rid] = p["GroupName"]
    else:
        raise SystemExit(f"{rid}: no mapping for {kind}")


if __name__ == "__main__":
    main()
