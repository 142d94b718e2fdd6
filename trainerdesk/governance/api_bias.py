"""Model-fairness and annotator-parity bias audits (/api/v1/projects/{id}/...); reading
them is the bias-audits endpoints' (api.py), which return every kind. Owners and managers
only: 404 for anyone else and for another project's model version."""

from ninja import Field, Router, Status

from trainerdesk.governance import access, services
from trainerdesk.governance.api import BiasAuditIn, BiasAuditOut, GroupsIn
from trainerdesk.governance.services.bias_model import DEFAULT_N_BOOT, MAX_N_BOOT
from trainerdesk.lib.api_schemas import ErrorOut
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.workbench.api import ProjectId

router = Router(tags=["governance"])


class ModelFairnessIn(BiasAuditIn):
    """Label parity's input (privileged default: the highest selection rate) and the model."""

    model_version: int = Field(ge=1, description="A model version of the project.")
    n_boot: int = Field(default=DEFAULT_N_BOOT, ge=0, le=MAX_N_BOOT)
    seed: int = 0


@router.post(
    "/projects/{project_id}/model-fairness-audits",
    response={201: BiasAuditOut, 409: ErrorOut},
    summary="Run a model-fairness bias audit (owner or manager)",
    description="A model version's predictions against the final labels per group "
    "(fairlearn's MetricFrame; AIF360's signed convention; bootstrap intervals). 400 naming "
    "the field for an attribute with one group, a group without both labels, or no item "
    "with a final label and a prediction.",
)
def run_model_fairness(request: ApiRequest, project_id: ProjectId, body: ModelFairnessIn):
    project = access.get_project_for_versions(request.auth, project_id)
    mv = access.get_model_version_for_user(request.auth, project, body.model_version)
    version = None
    if body.dataset_version is not None:
        version = access.get_version_for_user(request.auth, project, body.dataset_version)
    a = services.run_model_fairness_audit(
        project=project,
        model_version=mv,
        attribute=body.attribute,
        second_attribute=body.second_attribute,
        positive=body.positive,
        privileged=body.privileged,
        field=body.field,
        dataset_version=version,
        n_boot=body.n_boot,
        seed=body.seed,
        by=request.auth,
    )
    return Status(201, a)


@router.post(
    "/projects/{project_id}/annotator-parity-audits",
    response={201: BiasAuditOut},
    summary="Run an annotator-parity bias audit (owner or manager)",
    description="Per annotator and group, Fisher's exact test of their favourable-label "
    "rate against the other annotators' on the same group, Holm-adjusted. 400 for an "
    "attribute with one group.",
)
def run_annotator_parity(request: ApiRequest, project_id: ProjectId, body: GroupsIn):
    project = access.get_project_for_versions(request.auth, project_id)
    a = services.run_annotator_parity_audit(
        project=project,
        attribute=body.attribute,
        second_attribute=body.second_attribute,
        positive=body.positive,
        field=body.field,
        by=request.auth,
    )
    return Status(201, a)
