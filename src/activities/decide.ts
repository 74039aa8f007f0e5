import type { RootQuorum } from "./store.ts";

/**
 * What the policies said about an activity (src/policies/ evaluates them): a matching DENY,
 * whether any ALLOW matched, and whether a matching ALLOW's consensus holds.
 */
export interface PolicyVerdict {
  denied?: { policyId: string; name: string };
  allowMatched: boolean;
  consensusMet: boolean;
}

export type Decision = { run: true } | { run: false; denied: { policyId: string; name: string } } | { run: false; waiting: true };

/**
 * Whether an activity runs now. DENY always wins. The root quorum applies to what it guards
 * and to whatever a quorum user starts (seed 002's co-signing: with 2 of 2, the platform and
 * the user both approve everything either starts); it counts distinct quorum users among the
 * approvers. A matching ALLOW adds its consensus; no policy matching adds nothing (opt-in).
 */
export function decide(input: {
  verdict: PolicyVerdict;
  quorum: RootQuorum;
  rootGuarded: boolean;
  initiatorUserId: string;
  approverUserIds: readonly string[];
}): Decision {
  const { verdict, quorum } = input;
  if (verdict.denied) return { run: false, denied: verdict.denied };
  const quorumApplies = quorum.threshold > 1 && (input.rootGuarded || quorum.userIds.includes(input.initiatorUserId));
  const quorumMet = !quorumApplies || new Set(input.approverUserIds.filter((u) => quorum.userIds.includes(u))).size >= quorum.threshold;
  const policiesMet = !verdict.allowMatched || verdict.consensusMet;
  return quorumMet && policiesMet ? { run: true } : { run: false, waiting: true };
}
