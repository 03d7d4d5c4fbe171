"""Counts the resources of template.yaml after the SAM transform, offline (aws-sam-translator),
and fails above the budget: CloudFormation allows 500 resources per stack, and the budget keeps
room for growth.

    .venv/bin/python scripts/count-stack-resources.py template.yaml 400
"""

import collections
import sys

from sam_offline import transformed_resources




def main(path, budget):
    resources = transformed_resources(path)
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
