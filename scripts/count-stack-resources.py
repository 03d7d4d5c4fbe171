"""Counts the resources of template.yaml after the SAM transform, offline (aws-sam-translator),
and fails above the budget: CloudFormation allows 500 resources per stack, and the budget keeps
room for growth.

    .venv/bin/python scripts/count-stack-resources.py template.yaml 400
"""

import collections
import os
import sys

from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse




def main(path, budget):
    # The pseudo parameters come from the default region; none is configured offline.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    with open(path, encoding="utf-8") as handle:
        template = yaml_parse(handle.read())
    # As `sam validate` does: the transform wants code in S3, which `sam deploy` uploads.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    translator = Translator(managed_policy_map=None, sam_parser=Parser())
    output = translator.translate(
        sam_template=template,
        parameter_values={"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"},
        get_managed_policy_map=lambda: {},
    )
    resources = output["Resources"]
    by_type = collections.Counter(resource["Type"] for resource in resources.values())
    width = max(len(kind) for kind in by_type)
    for kind, count in sorted(by_type.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {kind:<{width}}  {count:>4}")
    print(f"  {'total':<{width}}  {len(resources):>4}  (budget {budget}, CloudFormation's limit 500)")
    if len(resources) > budget:
        print(f"the stack has {len(resources)} resources, over the budget of {budget}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
