"""Problems as the model reads them: the head, HostUp's words, field errors and the next step, exactly."""

from __future__ import annotations

import pytest

from hostup_mcp.hostup.failures import Failure
from hostup_mcp.hostup.problems import FieldError, Problem, synthesized
from hostup_mcp.tools.advice import Call, render_problem

READ = Call(("read:vm",), vps_id="vps_1")
MOUNT = Call(("write:vm", "write:storage"), vps_id="vps_1", action="mount")


def answered(problem: Problem, method: str = "GET", *, from_hostup: bool = True) -> Failure:
    return Failure(problem, method, problem.status, sent=True, from_hostup=from_hostup)


def test_a_problem_without_a_code_or_words_still_reads_cleanly():
    problem = Problem(status=418)

    assert render_problem(problem, READ, answered(problem)).splitlines()[0] == "HostUp error 418"


def test_a_problem_with_only_a_title():
    problem = Problem(status=409, title="Conflict")

    assert render_problem(problem, READ, answered(problem)).splitlines()[0] == "HostUp error 409 — Conflict"


def test_our_own_problem_about_an_answer_says_it_is_ours_with_the_status_received():
    problem = synthesized("invalid_error_body", "Not a problem", "HTML", status=502)

    text = render_problem(problem, READ, answered(problem, from_hostup=False))

    assert text.splitlines()[0] == "Error (from hostup-mcp, not HostUp) 502 invalid_error_body — Not a problem: HTML"


def test_a_refusal_before_sending_has_no_status():
    problem = synthesized("invalid_vps_id", "Not a VPS id", "x")

    assert (
        render_problem(problem, READ, None).splitlines()[0]
        == "Error (from hostup-mcp, not HostUp) invalid_vps_id — Not a VPS id: x"
    )


def test_a_long_detail_is_kept_up_to_600_characters():
    problem = Problem(status=400, code="invalid_request", detail="d" * 600)

    assert "— " + "d" * 600 + "\n" in render_problem(problem, READ, answered(problem))


def test_ten_field_errors_are_all_shown_and_an_eleventh_is_counted():
    ten = Problem(status=400, errors=[FieldError(pointer=f"/{i}", detail="bad") for i in range(10)])
    eleven = Problem(status=400, errors=[FieldError(pointer=f"/{i}", detail="bad") for i in range(11)])

    assert "more field errors" not in render_problem(ten, READ, answered(ten))
    assert "- …and 1 more field errors (all in _meta's problem)" in render_problem(eleven, READ, answered(eleven))


def test_a_field_error_without_a_code():
    problem = Problem(status=400, errors=[FieldError(pointer="/a", detail="bad")])

    assert "\n- /a: bad\n" in render_problem(problem, READ, answered(problem))


@pytest.mark.parametrize(
    ("request_id", "ending"),
    [("req_1", "contact HostUp support quoting requestId req_1."), (None, "contact HostUp support.")],
)
def test_a_5xx_read_points_to_support_with_the_request_id(request_id: str | None, ending: str):
    problem = Problem(status=500, code="internal_error", request_id=request_id)

    assert render_problem(problem, READ, answered(problem)).endswith(f"retry later; if it persists, {ending}")


@pytest.mark.parametrize(
    ("status", "ending"),
    [
        (500, "trying again; if it persists, contact HostUp support quoting requestId req_1."),
        (None, "trying again."),
    ],
)
def test_an_unknown_outcome_points_to_support_only_after_a_5xx(status: int | None, ending: str):
    problem = Problem(status=status, code="x", request_id="req_1")
    failure = Failure(problem, "POST", status, sent=True, from_hostup=status is not None)

    text = render_problem(problem, MOUNT, failure)

    assert text.endswith(
        "Next step: the outcome is unknown: HostUp may or may not have carried out the mount, so it was not "
        f"repeated. Check with list_vps_iso_media before {ending}"
    )


def test_a_503_that_names_a_wait_says_it():
    problem = Problem(status=503, code="unavailable", retry_after_seconds=9)

    assert "HostUp asks to wait 9 s before retrying" in render_problem(problem, READ, answered(problem))
