/**
 * Agents' pending prompts as the server lists them (`stitch.pendingPrompts`) and how the
 * picker shows them. Pure (no 'vscode' import). The server answers that command by showing
 * each unanswered prompt again (dismissed ones too) as a message with its options as buttons,
 * oldest first; that message is where the engineer answers. Prompt text comes from agents: it
 * is shown as plain text only.
 */
import { oneLine } from "./drafts";

export interface PendingPrompt {
  id: string;
  agent?: string | null;
  stream?: string | null;
  question?: string | null;
  options?: string[] | null;
}

export function asPromptList(value: unknown): PendingPrompt[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (p): p is PendingPrompt =>
      p !== null && typeof p === "object" && typeof (p as PendingPrompt).id === "string",
  );
}

export interface PromptPickItem {
  label: string;
  description: string;
  detail: string;
  id: string;
}

export function promptPickItem(p: PendingPrompt): PromptPickItem {
  const options = (p.options ?? []).map((o) => oneLine(o, 60));
  const who = [p.agent, p.stream ? `(${p.stream})` : ""].filter(Boolean).map((t) => oneLine(t, 80));
  return {
    // Labels render $(icon) syntax; an agent's question must not inject icons.
    label: `$(comment-discussion) ${oneLine(p.question ?? p.id).replace(/\$\(/g, "$\u200b(")}`,
    description: who.length ? `${who.join(" ")} asks` : "",
    detail: options.length ? `Options: ${options.join(" / ")}` : "No options given",
    id: p.id,
  };
}

/** The picker's title: how many wait, and where they are answered. */
export function promptsTitle(count: number): string {
  return `Stitch: ${count} pending ${count === 1 ? "prompt" : "prompts"}`;
}

/** Short enough to fit the picker's input box. */
export const PROMPTS_PLACEHOLDER = "Shown again as notifications with their options: answer there. Pick one to open them.";
