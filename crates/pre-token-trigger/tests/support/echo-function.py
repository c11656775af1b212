"""A minimal Lambda function for testing scripts/lambda-invoke.py: for each event it answers
what it was given (the event, the invocation headers, the Lambda variables), or, when the event
is {"fail": MESSAGE}, posts MESSAGE as an invocation error. Standard library only."""

import json
import os
import urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
VARIABLES = [
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_REGION", "_HANDLER",
    "AWS_LAMBDA_RUNTIME_API", "ECHO_EXTRA",
]
HEADERS = [
    "Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
    "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id",
]


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


while True:
    with urllib.request.urlopen(API + "next") as response:
        event = json.loads(response.read())
        headers = {name: response.headers.get(name) for name in HEADERS}
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    if isinstance(event, dict) and "fail" in event:
        post(API + request_id + "/error", {"errorType": "Echo.Failed", "errorMessage": event["fail"]})
        continue
    post(API + request_id + "/response", {
        "event": event,
        "headers": headers,
        "env": {name: os.environ.get(name) for name in VARIABLES},
    })
