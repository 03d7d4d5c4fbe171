"""The SAM transform of a template, offline (aws-sam-translator): what `sam deploy` would hand
CloudFormation, for the checks that read the deployed resources (scripts/count-stack-resources.py,
pipeline/check-roles.py)."""

import os

from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


def transformed_resources(path):
    """The resources of the template at `path` after the transform."""
    # The pseudo parameters come from the default region; none is configured offline.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    with open(path, encoding="utf-8") as handle:
        template = yaml_parse(handle.read())
    # As `sam validate` does: the transform wants code in S3, which `sam deploy` uploads.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    return Translator(managed_policy_map=None, sam_parser=Parser()).translate(
        sam_template=template,
        parameter_values={"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"},
        get_managed_policy_map=lambda: {},
    )["Resources"]
