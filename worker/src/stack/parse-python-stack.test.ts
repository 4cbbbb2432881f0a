import { describe, expect, it } from "vitest";
import { parseStack } from "./parse-stack";

const CHAINED = `Traceback (most recent call last):
  File "/srv/app/src/billing/plans.py", line 31, in load_plan
    return PLANS[name]
           ~~~~~^^^^^^
KeyError: 'gold'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 1473, in wsgi_app
    response = self.full_dispatch_request()
  File "/srv/app/src/billing/views.py", line 12, in checkout
    plan = load_plan(request.json["plan"])
  File "/srv/app/src/billing/plans.py", line 33, in load_plan
    raise ValueError(f"unknown plan {name!r}")
ValueError: unknown plan 'gold'`;

describe("parseStack: Python", () => {
  it("reads the reported exception's traceback, innermost frame first", () => {
    const frames = parseStack(CHAINED, "python");
    expect(frames.map((f) => [f.function, f.line, f.inApp])).toEqual([
      ["load_plan", 33, true],
      ["checkout", 12, true],
      ["wsgi_app", 1473, false],
    ]);
    expect(frames[0]?.file).toBe("/srv/app/src/billing/plans.py");
    expect(frames[2]?.module).toBe("flask.app");
  });

  it("marks the standard library, dist-packages and frozen modules as not in-app", () => {
    const trace = `Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "/usr/lib/python3/dist-packages/requests/api.py", line 59, in request
  File "/usr/lib/python3.11/json/decoder.py", line 355, in raw_decode
  File "/app/worker.py", line 8, in <module>
json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)`;
    const frames = parseStack(trace, "python");
    expect(frames.map((f) => f.inApp)).toEqual([true, false, false, false]);
    expect(frames[0]).toMatchObject({ function: "<module>", file: "/app/worker.py", line: 8 });
  });

  it("reads exception groups (PEP 654) and detects Python without a language", () => {
    const group = `  + Exception Group Traceback (most recent call last):
  |   File "/app/main.py", line 5, in <module>
  |     raise ExceptionGroup("many", [ValueError(1)])
  | ExceptionGroup: many (1 sub-exception)
  +-+---------------- 1 ----------------
    | ValueError: 1
    +------------------------------------`;
    expect(parseStack(group, null)).toEqual([
      { function: "<module>", module: null, file: "/app/main.py", line: 5, column: null, inApp: true },
    ]);
  });
});
