#!/usr/bin/env python3
"""Counts what the generators made of an API description (issue 29's before/after numbers).

    clients/count-models.py DESCRIPTION PYTHON_PACKAGE_DIR TYPESCRIPT_SCHEMA_FILE

Python (openapi-python-client): model modules, model and enum classes, problem classes (models
with the RFC 9457 members), code enums (a problem class's `code` typed other than `str`), enum
members named VALUE_<n>, and the api functions. TypeScript (openapi-typescript): schemas and
shared responses in `components`, and error bodies written inline as `Problem & {code: ...}`.
Description: operations, and error responses inlined rather than referenced.
"""

import ast
import json
import pathlib
import re
import sys

PROBLEM_MEMBERS = {"type_", "title", "status", "detail", "code"}


def python_counts(package):
    models = sorted(p for p in (package / "models").glob("*.py") if p.name != "__init__.py")
    model_classes, enum_classes, problem_classes, code_enums, value_n = 0, 0, 0, set(), 0
    for path in models:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(base) for base in node.bases}
            fields = {
                statement.target.id: ast.unparse(statement.annotation)
                for statement in node.body
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
            }
            if bases & {"StrEnum", "IntEnum", "Enum", "str, Enum"} or any("Enum" in b for b in bases):
                enum_classes += 1
                value_n += sum(
                    1 for statement in node.body
                    if isinstance(statement, ast.Assign)
                    and re.fullmatch(r"VALUE_\d+", statement.targets[0].id if isinstance(statement.targets[0], ast.Name) else "")
                )
                continue
            model_classes += 1
            if PROBLEM_MEMBERS <= set(fields):
                problem_classes += 1
                if fields["code"] != "str":
                    code_enums.add(fields["code"])
    functions = [p for p in (package / "api").glob("*/*.py") if p.name != "__init__.py"]
    return {
        "python model modules": len(models),
        "python model classes": model_classes,
        "python enum classes": enum_classes,
        "python problem classes": problem_classes,
        "python problem code enums": len(code_enums),
        "python enum members named VALUE_<n>": value_n,
        "python api functions": len(functions),
    }


def typescript_counts(schema_file, description):
    text = schema_file.read_text(encoding="utf-8")
    return {
        "typescript component schemas": len(description["components"].get("schemas", {})),
        "typescript component responses": len(description["components"].get("responses", {})),
        "typescript inline problem types (Problem & {code})": text.count('components["schemas"]["Problem"] &'),
        "typescript lines": text.count("\n"),
    }


def description_counts(description):
    operations, inline_errors = 0, 0
    for item in description["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operations += 1
                inline_errors += sum(
                    1 for status, response in operation["responses"].items()
                    if status[0] in "45" and "$ref" not in response and "content" in response
                )
    return {"operations": operations, "inline error responses": inline_errors}


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    description = json.loads(pathlib.Path(argv[1]).read_text(encoding="utf-8"))
    counts = {}
    counts.update(description_counts(description))
    counts.update(python_counts(pathlib.Path(argv[2])))
    counts.update(typescript_counts(pathlib.Path(argv[3]), description))
    width = max(len(name) for name in counts)
    for name, value in counts.items():
        print(f"  {name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
