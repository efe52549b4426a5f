import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore, type Stored } from '../core/store.js';
import { mergeMetadata } from '../core/util.js';
import { invalidRequest } from '../errors.js';
import type { Params, SpecObject } from '../params.js';

/** Disputes, owned by the account that took the payment (the platform, for destination charges). */
export const DISPUTES = defineStore<Stripe.Dispute>('disputes');

/** What a dispute test card opens: a chargeback with its reason, or an inquiry (https://docs.stripe.com/testing#disputes). */
export type DisputeKind = 'fraudulent' | 'product_not_received' | 'inquiry';

/**
 * The dispute fee, in minor units of the charge's currency, withdrawn with the disputed amount. Stripe's US price is
 * $15.00 (https://stripe.com/pricing, "Disputes"); the sandbox charges 1500 minor units in every currency.
 */
export const DISPUTE_FEE = 1500;

/**
 * The `uncategorized_text` evidence that decides a test dispute when submitted (https://docs.stripe.com/testing#evidence):
 * `winning_evidence` closes it as won (the amount and fee credited back), `losing_evidence` as lost.
 */
const EVIDENCE_OUTCOMES: Record<string, 'won' | 'lost'> = { winning_evidence: 'won', losing_evidence: 'lost' };

/** The evidence fields of `disputes.update` (https://docs.stripe.com/api/disputes/update), each a string or a file id. */
const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
] as const;

/** Days the platform has to answer, counted from the dispute (the sandbox's choice; Stripe's `due_by` depends on the network). */
const EVIDENCE_DAYS = 7;

const CLOSED = new Set(['won', 'lost', 'warning_closed']);

/**
 * Opens the dispute a dispute test card asks for on a succeeded charge owned by `owner`. A chargeback withdraws the
 * disputed amount and the dispute fee from `owner` (one balance transaction) and emits `charge.dispute.created` and
 * `charge.dispute.funds_withdrawn`; an inquiry moves no money and emits only `charge.dispute.created`. A destination
 * charge's transfer is left alone: Stripe withdraws from the platform (https://docs.stripe.com/connect/disputes).
 */
export function openDispute(core: SandboxCore, charge: Stripe.Charge, owner: string, kind: DisputeKind): Stripe.Dispute {
  const inquiry = kind === 'inquiry';
  const id = core.id('du');
  const created = core.nowSeconds();
  const dispute = {
    id,
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [] as Stripe.BalanceTransaction[],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence: Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, null])),
    evidence_details: { due_by: created + EVIDENCE_DAYS * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: inquiry,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason: inquiry ? 'fraudulent' : kind,
    status: inquiry ? 'warning_needs_response' : 'needs_response',
  } as unknown as Stripe.Dispute;
  core.state(DISPUTES).set(id, owner, dispute);
  charge.disputed = true;
  core.emit('charge.dispute.created', dispute, owner);
  if (!inquiry) {
    dispute.balance_transactions.push(
      core.ledger.record({
        account: owner,
        amount: -dispute.amount,
        fee: DISPUTE_FEE,
        currency: dispute.currency,
        type: 'adjustment',
        reportingCategory: 'dispute',
        source: id,
        description: `Chargeback withdrawal for ${charge.id}`,
      }),
    );
    core.emit('charge.dispute.funds_withdrawn', dispute, owner);
  }
  return dispute;
}

/**
 * Closes a dispute as `won` or `lost`, as the card network's decision would. A won chargeback reinstates the
 * withdrawn amount and fee (`charge.dispute.funds_reinstated`); an inquiry closes as `warning_closed` either way.
 * Emits `charge.dispute.closed`.
 */
export function closeDispute(core: SandboxCore, stored: Stored<Stripe.Dispute>, outcome: 'won' | 'lost'): Stripe.Dispute {
  const dispute = stored.obj;
  requireOpen(dispute);
  const previous = { status: dispute.status };
  const inquiry = dispute.status.startsWith('warning_');
  dispute.status = inquiry ? 'warning_closed' : outcome;
  if (!inquiry && outcome === 'won') {
    dispute.balance_transactions.push(
      core.ledger.record({
        account: stored.owner,
        amount: dispute.amount,
        fee: -DISPUTE_FEE,
        currency: dispute.currency,
        type: 'adjustment',
        reportingCategory: 'dispute_reversal',
        source: dispute.id,
        description: `Chargeback reversal for ${dispute.charge as string}`,
      }),
    );
    core.emit('charge.dispute.funds_reinstated', dispute, stored.owner);
  }
  core.emit('charge.dispute.closed', dispute, stored.owner, previous);
  return dispute;
}

function requireOpen(dispute: Stripe.Dispute): void {
  if (CLOSED.has(dispute.status))
    throw invalidRequest(`This dispute is already closed (status ${dispute.status}).`, { code: 'dispute_already_closed' });
}

/**
 * `POST /v1/disputes/:id`: stages evidence and metadata; with `submit` (default true) the evidence goes to the bank
 * and the dispute is under review. Submitted `winning_evidence` or `losing_evidence` then decides it at once.
 */
function updateDispute(core: SandboxCore, stored: Stored<Stripe.Dispute>, p: Params): Stripe.Dispute {
  const dispute = stored.obj;
  requireOpen(dispute);
  const previous: Record<string, unknown> = {};
  const evidence = p.evidence as Record<string, string | null> | undefined;
  if (evidence) {
    previous.evidence = { ...dispute.evidence };
    Object.assign(dispute.evidence, evidence);
  }
  if (p.metadata !== undefined) {
    previous.metadata = dispute.metadata;
    dispute.metadata = mergeMetadata(dispute.metadata, p.metadata);
  }
  const submit = p.submit !== false;
  if (submit && dispute.status.endsWith('needs_response')) {
    previous.status = dispute.status;
    dispute.status = dispute.status === 'warning_needs_response' ? 'warning_under_review' : 'under_review';
    dispute.evidence_details.submission_count += 1;
  }
  dispute.evidence_details.has_evidence = Object.values(dispute.evidence).some((v) => v !== null && v !== undefined);
  core.emit('charge.dispute.updated', dispute, stored.owner, previous);
  const decided = submit ? EVIDENCE_OUTCOMES[dispute.evidence.uncategorized_text ?? ''] : undefined;
  return decided ? closeDispute(core, stored, decided) : dispute;
}

const UPDATE: SpecObject = {
  ...EXPAND,
  evidence: Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, 'string'])),
  metadata: 'metadata',
  submit: 'boolean',
};

export const disputes: ResourceModule = {
  name: 'disputes',
  objects: [DISPUTES],
  routes: [
    listRoute(DISPUTES, '/v1/disputes', { charge: 'string', payment_intent: 'string' }),
    retrieveRoute(DISPUTES, '/v1/disputes', 'dispute', 'dispute'),
    {
      method: 'POST',
      path: '/v1/disputes/:id',
      params: UPDATE,
      handler: (core, { path, params, account }) =>
        updateDispute(core, core.state(DISPUTES).owned(path.id as string, account, 'dispute', 'dispute'), params),
    },
    {
      // Closing is accepting the loss (https://docs.stripe.com/api/disputes/close).
      method: 'POST',
      path: '/v1/disputes/:id/close',
      params: EXPAND,
      handler: (core, { path, account }) =>
        closeDispute(core, core.state(DISPUTES).owned(path.id as string, account, 'dispute', 'dispute'), 'lost'),
    },
  ],
};
