import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asPromptList, promptPickItem, promptsTitle } from "../src/prompts";

const prompt = {
  id: "db-choice",
  agent: "claude-code",
  stream: "checkout/a",
  question: "Which database for the ledger?",
  options: ["Postgres", "SQLite"],
};

describe("pending prompts picker", () => {
  it("shows the question, who asks and the options", () => {
    const item = promptPickItem(prompt);
    assert.equal(item.label, "$(comment-discussion) Which database for the ledger?");
    assert.equal(item.description, "claude-code (checkout/a) asks");
    assert.equal(item.detail, "Options: Postgres / SQLite");
    assert.equal(item.id, "db-choice");
  });

  it("keeps the agent's words on one line and out of the icon syntax", () => {
    const item = promptPickItem({ ...prompt, question: "ok?\n$(alert) now", options: [] });
    assert.equal(item.label, "$(comment-discussion) ok? $\u200b(alert) now");
    assert.equal(item.detail, "No options given");
  });

  it("counts them in the title and drops entries that are not prompts", () => {
    assert.equal(promptsTitle(1), "Stitch: 1 pending prompt");
    assert.equal(promptsTitle(3), "Stitch: 3 pending prompts");
    assert.deepEqual(asPromptList([prompt, null, { question: "no id" }, 3]).map((p) => p.id), ["db-choice"]);
    assert.deepEqual(asPromptList({ not: "a list" }), []);
  });
});
