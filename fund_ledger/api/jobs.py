"""Background jobs: ``GET /api/v1/jobs/{id}`` gives ``{id, status, progress, result_url?}`` to the user who started
the job (404 to anyone else, as for an id that does not exist); any app process answers, since jobs live in the
database. ``progress`` is per cent (0 to 100); ``result_url`` appears once the job is ``done`` and gives the file
(kept for an hour)."""
from __future__ import annotations

from flask import abort, jsonify, url_for
from marshmallow import Schema, fields

from ..http.db import db_session
from ..http.jobs import job_result
from ..http.security import SIGNED_IN, access, current_actor
from ..services import jobs as svc
from . import blp


class JobOut(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Integer(metadata={"description": "per cent done, 0 to 100"})
    result_url = fields.String(metadata={"description": "the file, once done (kept for an hour)"})


def job_json(job: svc.JobView) -> dict:
    out = {"id": job.id, "status": job.status, "progress": job.progress}
    if job.status == "done":
        out["result_url"] = url_for("api.get_job_result", job_id=job.id)
    return out


def job_accepted(job: svc.JobView):
    """``202 Accepted`` for work queued as a job, with ``Location`` the job's address."""
    response = jsonify(job_json(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id)
    return response


def _find(job_id: str) -> svc.JobView:
    job = svc.find(db_session(), job_id, current_actor().username)
    if job is None:
        abort(404)
    return job


@blp.route("/jobs/<job_id>", methods=["GET"])
@blp.response(200, JobOut)
@blp.doc(summary="A background job of yours: its status, progress and, when done, where its result is")
@access(SIGNED_IN)
def get_job(job_id: str):
    response = jsonify(job_json(_find(job_id)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/jobs/<job_id>/result", methods=["GET"])
@blp.doc(summary="The file a finished job of yours made (404 when not yours or not done)",
         responses={"200": {"description": "the file", "content": {"application/pdf": {}}}})
@access(SIGNED_IN)
def get_job_result(job_id: str):
    response = job_result(_find(job_id).id, current_actor().username)
    if response is None:  # not done yet, failed, or purged
        abort(404)
    return response
