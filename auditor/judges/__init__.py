"""Built-in judges, registered through the `register_judges` hook."""

from auditor.hookspecs import hookimpl


@hookimpl
def register_judges(register):
    register("auditor.judges.keyword:KeywordJudge", name="keyword",
             description="Refusal phrases near the start of a response; offline, multilingual")
