"""Model testing and the feedback loop: models and versions, evaluation with slices and
intervals, behavioural test suites, active learning, the error rate per iteration."""
