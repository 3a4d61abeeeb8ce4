import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RestartPolicy } from "../src/restartPolicy";

describe("RestartPolicy", () => {
  it("restarts at most three times in three minutes, then gives up with one message", () => {
    let now = 0;
    const policy = new RestartPolicy(3, 180_000, () => now);
    for (let i = 0; i < 3; i++) {
      now += 1_000;
      assert.deepEqual(policy.onClosed(true), { restart: true });
    }
    now += 1_000;
    const last = policy.onClosed(true);
    assert.equal(last.restart, false);
    assert.match(last.message ?? "", /stopped 4 times in 3 minutes/);
  });

  it("forgets crashes older than the window", () => {
    let now = 0;
    const policy = new RestartPolicy(3, 180_000, () => now);
    for (let i = 0; i < 3; i++) policy.onClosed(true);
    now = 181_000;
    assert.equal(policy.onClosed(true).restart, true);
  });

  it("never restarts a server that died while starting", () => {
    const policy = new RestartPolicy();
    const decision = policy.onClosed(false);
    assert.equal(decision.restart, false);
    assert.match(decision.message ?? "", /while starting/);
  });

  it("starts counting afresh after a manual restart", () => {
    const policy = new RestartPolicy(1, 180_000, () => 0);
    assert.equal(policy.onClosed(true).restart, true);
    assert.equal(policy.onClosed(true).restart, false);
    policy.reset();
    assert.equal(policy.onClosed(true).restart, true);
  });
});
