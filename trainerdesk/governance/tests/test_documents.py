"""Governance documents through the services: the numbers in the content, the PDF's text,
same inputs -> same hash, approval, bad input, audit events."""

import io

import pytest

from trainerdesk.accounts.models import AuditEvent
from trainerdesk.governance import services
from trainerdesk.governance.doc_content import content_sha256
from trainerdesk.governance.models import ApprovedDocumentError, DocumentVersion
from trainerdesk.governance.services import documents
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.pdf import sha256_hex


def rows_of(content, section_key):
    """{label: value} of the facts blocks and [row, ...] of the tables of one section."""
    (sec,) = [s for s in content["sections"] if s["key"] == section_key]
    facts, tables = {}, {}
    for b in sec["blocks"]:
        if b["type"] == "facts":
            facts.update(dict(b["rows"]))
        elif b["type"] == "table":
            tables[b["caption"]] = b["rows"]
    return facts, tables, sec["blocks"]


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())  # long hashes wrap inside table cells


def datasheet(project, owner, **kw):
    return services.generate_document(
        project=project, kind="datasheet", subject_ids=[project.doc_version.pk], by=owner, **kw
    )


def test_datasheet_holds_the_recorded_numbers(documented, owner, teammate):
    out = datasheet(documented, owner)
    assert out.created and out.document.number == 1
    c = out.document.content
    facts, tables, _ = rows_of(c, "composition")
    assert facts["Instances (labelled items)"] == "5"
    labels = tables["Final labels of topic (choice)"]
    assert labels[0] == ["sport", "3", "60.0% (3 of 5)"]
    assert ["business", "1", "20.0% (1 of 5)"] in labels
    assert facts["Items in the evaluation split"].startswith("not available: ")

    facts, tables, blocks = rows_of(c, "labelling")
    assert facts["Annotations (answers given)"] == "6"
    assert facts["Annotators"] == "2"
    assert facts["Annotations reviewed"] == "16.7% (1 of 6)"
    assert facts["Accepted"] == "1"
    guidelines = tables["Guidelines the annotations were given under"]
    assert [g[0] for g in guidelines] == ["v1", "v2"]
    assert [g[3] for g in guidelines] == ["5", "1"]
    (gold,) = tables["Annotator qualification: accuracy on gold items (95% Wilson intervals)"]
    assert gold[0] == f"annotator #{teammate.pk}"
    # Wilson 17/20 at 95%: 0.640 to 0.948 (hand-checked against statsmodels' proportion_confint)
    assert gold[3] == "0.850 (95% interval 0.640–0.948)"
    assert any(b["type"] == "note" and "1 of 2 annotators" in b["text"] for b in blocks)
    (agreement,) = [v for k, v in tables.items() if k.startswith("Inter-annotator")]
    assert agreement == [["topic", "1.000", "0.751", "not available: one rater per item"]]
    assert facts["Likely label errors found"] == "2"
    assert facts["Confirmed errors"] == "1 (1 with a correction)"
    assert facts["Still open (not yet reviewed)"] == "1"

    _, tables, _ = rows_of(c, "maintenance")
    (gap,) = tables["Data gaps register (Art. 10(2)(h))"]
    assert gap[0].endswith("Few tech items") and gap[1] == "open"
    kinds = {i["type"] for i in c["inputs"]}
    assert {"dataset_version", "gold_snapshot", "agreement_report", "label_error_run",
            "guideline_version", "data_gaps"} <= kinds  # fmt: skip
    version_input = [i for i in c["inputs"] if i["type"] == "dataset_version"][0]
    assert version_input["sha256"] == documented.doc_version.version_id


def test_person_fields_are_marked_and_missing_ones_empty(documented, owner):
    doc = datasheet(documented, owner, texts={"motivation": "To route news."}).document
    _, _, blocks = rows_of(doc.content, "motivation")
    (person,) = [b for b in blocks if b["type"] == "person"]
    assert person["text"] == "To route news." and person["key"] == "motivation"
    _, _, uses = rows_of(doc.content, "uses")
    assert uses[0]["type"] == "person" and uses[0]["text"] == ""
    with pytest.raises(InvalidInput, match="texts.purpose: not a field of a datasheet"):
        datasheet(documented, owner, texts={"purpose": "x"})


def test_same_inputs_same_hash_and_no_second_copy(documented, owner, teammate):
    first = datasheet(documented, owner).document
    content = documents.build_content(
        project=documented, kind="datasheet", subject_ids=[documented.doc_version.pk], texts={}
    )
    assert content_sha256(content) == first.content_sha256
    again = datasheet(documented, owner)
    assert not again.created and again.document.pk == first.pk
    assert DocumentVersion.objects.count() == 1
    # A new text is a new input: a new version, and texts carry forward when omitted.
    second = datasheet(documented, owner, texts={"uses": "Topic routing only."}).document
    assert second.number == 2 and second.content_sha256 != first.content_sha256
    third = datasheet(documented, owner)
    assert not third.created and third.document.pk == second.pk
    # A later annotation is not in the version: the datasheet does not change.
    item = documented.doc_items[1]
    from trainerdesk.workbench import services as wb

    wb.submit_annotation(project=documented, item=item, user=owner, answer={"topic": "sport"})
    assert not datasheet(documented, owner).created


def test_pdf_text_has_the_numbers_and_hashes(documented, owner):
    doc = datasheet(documented, owner).document
    assert doc.pdf_sha256 == sha256_hex(bytes(doc.pdf))
    text = pdf_text(bytes(doc.pdf))
    for needle in ["60.0%(3of5)", "0.850(95%interval0.640–0.948)", "DRAFT",
                   doc.content_sha256, documented.doc_version.version_id, "writtenbyaperson",
                   "notavailable:"]:  # fmt: skip
        assert needle in text, needle
    # Same content, same PDF bytes.
    assert documents.render_document_pdf(doc) == bytes(doc.pdf)


def test_approval_signs_off_and_freezes(documented, owner):
    doc = datasheet(documented, owner).document
    draft_pdf = doc.pdf_sha256
    approved = services.approve_document(document=doc, by=owner)
    assert approved.approved_by == owner and approved.pdf_sha256 != draft_pdf
    assert "Approved(signedoff)byowner" in pdf_text(bytes(approved.pdf))
    with pytest.raises(ConflictError, match="already approved"):
        services.approve_document(document=doc, by=owner)
    approved.title = "changed"
    with pytest.raises(ApprovedDocumentError):
        approved.save()
    with pytest.raises(ApprovedDocumentError):
        approved.delete()
    events = AuditEvent.objects.filter(object_id=str(doc.pk))
    generate = events.get(action="governance.document.generate")
    assert generate.changes["content_sha256"] == doc.content_sha256
    approve = events.get(action="governance.document.approve")
    assert approve.changes["pdf_sha256"] == approved.pdf_sha256
    # Regenerating unchanged inputs returns the approved version, never a copy.
    assert datasheet(documented, owner).document.pk == doc.pk


def test_model_card_metrics_with_intervals_and_caveats(evaluated, owner):
    doc = services.generate_document(
        project=evaluated, kind="model_card", subject_ids=[evaluated.m1.pk], by=owner
    ).document
    c = doc.content
    _, tables, _ = rows_of(c, "metrics")
    (row,) = tables["Metrics with 95% percentile-bootstrap intervals over items"]
    run = evaluated.run
    acc = run.metrics["intervals"]["accuracy"]
    assert run.metrics["accuracy"] == pytest.approx(0.8)
    assert row[0] == f"#{run.pk} ({run.computed_at:%Y-%m-%d})"
    assert row[3] == f"0.800 (95% interval {acc['low']:.3f}–{acc['high']:.3f})"
    facts, _, _ = rows_of(c, "evaluation_data")
    # The run read exactly v1's final labels, so the lineage table links it to v1.
    assert facts["Evaluation data of the latest run"].startswith("dataset version v1 (#")
    facts, _, _ = rows_of(c, "training_data")
    assert facts["Training data"].startswith("not available: an imported version")
    _, _, caveats = rows_of(c, "caveats")
    notes = " ".join(b["text"] for b in caveats if b["type"] == "note")
    assert "not a held-out split" in notes and "calibration is not known" in notes
    assert {"model_version", "evaluation_run"} <= {i["type"] for i in c["inputs"]}
    run_input = [i for i in c["inputs"] if i["type"] == "evaluation_run"][0]
    assert run_input["sha256"] == run.items_digest
    assert "0.800(95%interval" in pdf_text(bytes(doc.pdf))


def test_model_card_without_evaluation_says_so_and_stores_nothing(evaluated, owner):
    with pytest.raises(InvalidInput, match="'m2' has no finished evaluation run"):
        services.generate_document(
            project=evaluated, kind="model_card", subject_ids=[evaluated.m2.pk], by=owner
        )
    assert not DocumentVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="governance.document.generate").exists()


def test_datasheet_of_another_projects_version_is_refused(documented, owner, outsider, org):
    from trainerdesk.workbench import services as wb

    other = wb.create_project(
        organization=org, created_by=owner, name="Other", label_schema=documented.label_schema
    )
    with pytest.raises(InvalidInput, match="belongs to another project"):
        services.generate_document(
            project=other, kind="datasheet", subject_ids=[documented.doc_version.pk], by=owner
        )
    with pytest.raises(InvalidInput, match="is not a model version of project 'Other'"):
        services.generate_document(project=other, kind="annex_iv", subject_ids=[999], by=owner)
    with pytest.raises(InvalidInput, match="exactly one subject"):
        services.generate_document(
            project=documented, kind="datasheet", subject_ids=[1, 2], by=owner
        )
    with pytest.raises(InvalidInput, match="at most 20 model versions"):
        services.generate_document(
            project=documented, kind="annex_iv", subject_ids=list(range(1, 30)), by=owner
        )
    with pytest.raises(InvalidInput, match="kind: must be one of"):
        services.generate_document(project=documented, kind="memo", subject_ids=[1], by=owner)
    assert not DocumentVersion.objects.exists()


def test_annex_iv_checklist_and_test_logs(evaluated, owner):
    from django.utils import timezone

    from trainerdesk.evaluation.models import Suite, SuiteRun

    sheet = datasheet(evaluated, owner).document
    suite = Suite.objects.create(project=evaluated, name="Negation", field_name="topic")
    suite_run = SuiteRun.objects.create(
        project=evaluated, suite=suite, version=evaluated.m1, status="done", cases=10,
        passed=8, cases_digest="c" * 64, computed_at=timezone.now(), created_by=owner,
        results=[{"name": "not sport", "type": "mft", "kind": "mft", "cases": 10, "passed": 8}],
    )  # fmt: skip
    doc = services.generate_document(
        project=evaluated, kind="annex_iv", subject_ids=[evaluated.m1.pk],
        texts={"design_choices": "Linear model on TF-IDF."}, by=owner,
    ).document  # fmt: skip
    _, tables, _ = rows_of(doc.content, "art10")
    checklist = {r[0]: r[2] for r in tables["Art. 10(2) data governance checklist"]}
    assert checklist["10(2)(a)"] == "written by a person"
    assert checklist["10(2)(b)"] == "needs a person's text"
    assert checklist["10(2)(c)"] == "filled from data"
    assert checklist["10(2)(e)"] == "filled from data; needs a person's text"
    assert checklist["10(2)(f)"].startswith("needs data")  # no bias audit in this project
    assert checklist["10(2)(h)"] == "filled from data"
    _, tables, _ = rows_of(doc.content, "testing")
    (log,) = tables["Test logs (dated; signed off with this document's approval)"]
    assert log[0] == f"evaluation run #{evaluated.run.pk} ({evaluated.run.computed_at:%Y-%m-%d})"
    assert log[-1] == evaluated.run.items_digest
    (suite_row,) = tables["Behavioural test suites of m1 (robustness)"]
    assert suite_row[0] == f"#{suite_run.pk} Negation" and suite_row[3:] == [
        "not sport", "mft", "80.0% (8 of 10)"]  # fmt: skip
    assert {"type": "suite_run", "id": suite_run.pk, "sha256": "c" * 64,
            "label": "Negation"} in doc.content["inputs"]  # fmt: skip
    _, tables, _ = rows_of(doc.content, "data")
    (ds,) = tables["Data requirements: datasheets of the dataset versions"]
    assert sheet.content_sha256 in ds[3] and "draft" in ds[3]
    with pytest.raises(InvalidInput, match="'m2' has no finished evaluation run"):
        services.generate_document(
            project=evaluated, kind="annex_iv", subject_ids=[evaluated.m1.pk, evaluated.m2.pk],
            by=owner,
        )  # fmt: skip


def test_missing_facts_are_said_not_invented(project, teammate, owner,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    from trainerdesk.workbench import services as wb

    item = project.items.first()
    wb.submit_annotation(project=project, item=item, user=teammate, answer={"topic": "tech"})
    with django_capture_on_commit_callbacks(execute=True):
        version = services.create_version(project=project, name="v1", by=owner)
    doc = services.generate_document(
        project=project, kind="datasheet", subject_ids=[version.pk], by=owner
    ).document
    facts, tables, _ = rows_of(doc.content, "labelling")
    assert facts["Inter-annotator agreement"] == "not available: no agreement report was computed"
    assert facts["Label-error detection"] == "not available: no label-error run finished"
    _, tables, _ = rows_of(doc.content, "maintenance")
    assert tables["Data gaps register (Art. 10(2)(h))"] == []


def test_data_gaps_register_is_audited_and_closes_once(documented, owner):
    gap = documented.data_gaps.get()
    closed = services.close_data_gap(gap=gap, resolution="Imported 200 tech items.", by=owner)
    assert closed.status == "closed" and closed.closed_by == owner
    with pytest.raises(ConflictError, match="already closed"):
        services.close_data_gap(gap=gap, resolution="again", by=owner)
    with pytest.raises(InvalidInput, match="resolution"):
        services.close_data_gap(gap=gap, resolution=" ", by=owner)
    with pytest.raises(InvalidInput, match="title: required"):
        services.create_data_gap(project=documented, title="", by=owner)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"governance.data_gap.create", "governance.data_gap.close"} <= actions
    _, tables, _ = rows_of(datasheet(documented, owner).document.content, "maintenance")
    (row,) = tables["Data gaps register (Art. 10(2)(h))"]
    assert row[1] == "closed" and row[3] == "Imported 200 tech items."


def test_model_card_disaggregates_by_the_bias_audits(evaluated, owner):
    """sex F on items 1-2 (business, sport), M on 3-5 (tech, sport, sport); m1 predicts
    business, sport, sport, sport, sport. Favourable = sport, by hand: F selection 1/2,
    TPR 1, FPR 0, accuracy 1; M selection 3/3, TPR 1, FPR 1/1, accuracy 2/3; demographic
    parity difference 0.5, equalized odds difference 1.0."""
    for item, sex in zip(evaluated.doc_items, "FFMMM", strict=True):
        item.data = {**item.data, "sex": sex}
        item.save(update_fields=["data"])
    audit = services.run_label_parity_audit(
        project=evaluated, attribute="sex", positive="sport", by=owner
    )
    doc = services.generate_document(
        project=evaluated, kind="model_card", subject_ids=[evaluated.m1.pk], by=owner
    ).document
    facts, tables, _ = rows_of(doc.content, "quantitative_analyses")
    (caption,) = [k for k in tables if k.startswith("Model fairness of the model by sex")]
    groups = {r[0].removesuffix(" (small)"): r for r in tables[caption]}  # n < 30 both
    assert groups["F"][1] == "2" and groups["F"][2].startswith("0.500")
    assert groups["F"][4].startswith("0.000") and groups["F"][5].startswith("1.000")
    assert groups["M"][2].startswith("1.000") and groups["M"][4].startswith("1.000")
    assert groups["M"][5].startswith("0.667")
    dp = facts["Demographic parity difference (selection rate)"]
    assert dp.startswith("0.500")
    assert facts["Equalized odds difference (max of TPR, FPR gaps)"].startswith("1.000")
    assert facts["Reference (privileged) group"].startswith("M (")  # highest selection rate
    fair_input = [i for i in doc.content["inputs"] if i["type"] == "model_fairness"]
    assert [i["id"] for i in fair_input] == [audit.pk]
    # The card's parity table shows the audit, and an audit the model cannot be measured
    # on (one group only has favourable labels) says why instead of a number.
    for item in evaluated.doc_items[:2]:
        item.data = {**item.data, "sex": "M"}
        item.save(update_fields=["data"])
    item = evaluated.doc_items[2]
    item.data = {**item.data, "sex": "F"}
    item.save(update_fields=["data"])
    services.run_label_parity_audit(project=evaluated, attribute="sex", positive="sport", by=owner)
    card = services.generate_document(
        project=evaluated, kind="model_card", subject_ids=[evaluated.m1.pk], by=owner
    ).document
    facts, _, _ = rows_of(card.content, "quantitative_analyses")
    (why,) = [v for k, v in facts.items() if f"(audit #{audit.pk + 1}" in k]
    assert why.startswith("not available: ")
