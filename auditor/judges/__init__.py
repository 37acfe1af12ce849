"""Built-in judges, registered through the `register_judges` hook."""

from auditor.hookspecs import hookimpl


@hookimpl
def register_judges(register):
    register("auditor.judges.keyword:KeywordJudge", name="keyword",
             description="Refusal phrases near the start of a response; offline, multilingual")
    register("auditor.judges.llm:LLMJudge", name="llm-judge",
             description="A language model with a rubric (yes/no, 1-5, EM 0-100), on any backend")
    register("auditor.judges.classifier:ClassifierJudge", name="classifier",
             description="A local sequence-classification model (refusal or harm), with a label mapping")
