// A student's page in a class: which class and student it belongs to, with which token, and the
// request that makes the student's own copy of the teacher's run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { classContext, forkRequest, refusalText, storageKey } from "../../static/js/class-follow.js";

const store = (entries) => ({ getItem: (k) => entries[k] ?? null, setItem() {} });

test("a follow link names the class and the student; its fragment carries the token", () => {
  const ctx = classContext({ search: "?class=K7PQ2M&student=s12", hash: "#student_token=tok" });
  assert.deepEqual(ctx, { code: "K7PQ2M", student: "s12", token: "tok", followUrl: null });
});

test("without the fragment the token comes from the tab's storage, for that student only", () => {
  const kept = { [storageKey("K7PQ2M")]: JSON.stringify({ student_id: "s12", student_token: "kept", follow_url: "/view/x" }) };
  const ctx = classContext({ search: "?class=K7PQ2M&student=s12", hash: "#token=control" }, [store(kept)]);
  assert.equal(ctx.token, "kept");
  assert.equal(ctx.followUrl, "/view/x");
  const other = classContext({ search: "?class=K7PQ2M&student=s99", hash: "" }, [store(kept)]);
  assert.equal(other.token, null);
  assert.equal(classContext({ search: "", hash: "" }), null, "not a student's page");
  const broken = { getItem: () => { throw new Error("private mode"); } };
  assert.equal(classContext({ search: "?class=A&student=b", hash: "" }, [broken]).token, null);
});

test("Try it posts to the student's fork route with the student's token", () => {
  const { url, init } = forkRequest({ code: "K7PQ2M", student: "s 1", token: "tok" });
  assert.equal(url, "/api/classes/K7PQ2M/students/s%201/fork");
  assert.equal(init.method, "POST");
  assert.equal(init.headers["X-Student-Token"], "tok");
});

test("a refused fork is said from its code, else from its detail", () => {
  assert.match(refusalText({ code: "fork_limited", seconds: 2, detail: "…" }, 429), /2/);
  assert.equal(refusalText({ detail: "no run to fork" }, 410), "no run to fork");
  assert.equal(refusalText(null, 503), "HTTP 503");
});
