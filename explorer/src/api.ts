// The explorer's only way to the node: the public REST API under /v1, same origin.

/** An API answer that was not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** RFC 9457 problem body, as every API error carries it. */
interface Problem {
  title?: string;
  detail?: string;
  code?: string;
}

/** How often a request refused with 429 (rate limit) is tried again. */
const RETRIES = 4;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GETs `path` (e.g. `/v1/status`) as JSON; a 429 is retried after its Retry-After. */
export async function get<T>(path: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(path, { headers: { accept: "application/json" } });
    } catch {
      throw new ApiError(0, "Cannot reach the node's REST API. Is the node running?");
    }
    if (response.status === 429 && attempt < RETRIES) {
      const seconds = Number(response.headers.get("retry-after") ?? "1");
      await wait(Math.min(Math.max(seconds, 1), 5) * 1000);
      continue;
    }
    if (response.ok) return (await response.json()) as T;
    let problem: Problem = {};
    try {
      problem = (await response.json()) as Problem;
    } catch {
      // A body that is not a problem document leaves the status line to speak.
    }
    const text = [problem.title, problem.detail].filter(Boolean).join(": ");
    throw new ApiError(
      response.status,
      text || `${response.status} ${response.statusText}`,
      problem.code,
    );
  }
}

/** Like `get`, but a 404 (an endpoint or resource this node lacks) is `null`. */
export async function getOptional<T>(path: string): Promise<T | null> {
  try {
    return await get<T>(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export interface BlockRef {
  number: number;
  hash: string;
  timestamp: number;
}

export interface Status {
  chain_id: number;
  network: string;
  consensus: string;
  head: BlockRef;
  finalized_height: number;
  peers: number;
  syncing: boolean;
}

export interface BlockSummary {
  number: number;
  hash: string;
  parent_hash: string;
  /** Seconds since the Unix epoch (what the EVM reads); blocks within one second share it. */
  timestamp: number;
  /** Milliseconds since the Unix epoch: the block's full time, always later than its parent's. */
  timestamp_ms: number;
  beneficiary: string;
  state_root: string;
  transactions_root: string;
  receipts_root: string;
  gas_used: number;
  gas_limit: number;
  base_fee_per_gas: string;
  transaction_count: number;
  /** Validators whose precommits are in the commit certificate (the proposer on a dev chain). */
  signers?: string[];
}

export interface BlockDetail extends BlockSummary {
  transactions: string[];
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Log {
  address: string;
  topics: string[];
  data: string;
}

export interface Receipt {
  success: boolean;
  gas_used: number;
  cumulative_gas_used: number;
  effective_gas_price: string;
  contract_address: string | null;
  logs: Log[];
  /** Why it reverted, when the revert data is an Error(string) or a Panic(uint256). */
  revert_reason: string | null;
  /** The data it reverted with (0x hex), when there was any. */
  revert_data: string | null;
}

export interface Transaction {
  hash: string;
  status: "pending" | "included" | "finalized";
  type: number;
  from: string;
  to: string | null;
  nonce: number;
  value: string;
  gas_limit: number;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string | null;
  input: string;
  position: { block_number: number; block_hash: string; index: number } | null;
  receipt: Receipt | null;
}

export interface Account {
  address: string;
  balance: string;
  nonce: number;
  is_contract: boolean;
  code_hash: string;
  /** Bytes of deployed code (newer nodes only). */
  code_size?: number;
}

export interface Event extends Log {
  block_number: number;
  block_hash: string;
  block_timestamp: number;
  transaction_hash: string;
  transaction_index: number;
  log_index: number;
}

export interface EventPage extends Page<Event> {
  from_block: number;
  to_block: number;
}

export interface Validator {
  name: string | null;
  address: string;
  public_key: string | null;
  power: number;
  last_signed_block: number | null;
  missed_blocks: number;
  /** Proof of stake only, as every field below: `candidate`, `active`, `jailed`, `tombstoned` or `unbonding`. */
  status?: string;
  operator?: string;
  /** Wei bonded to it, self-stake included. */
  stake?: string;
  self_stake?: string;
  commission_bps?: number;
  /** Its commission from the next epoch on. */
  pending_commission_bps?: number;
  /** The block until which it stays jailed; 0 if it never was. */
  jailed_until?: number;
}

/** A registered validator outside the set, as the staking contract records it. */
export interface Candidate {
  address: string;
  status: string;
  operator: string;
  stake: string;
  self_stake: string;
  commission_bps: number;
  pending_commission_bps: number;
  jailed_until: number;
}

/** A member of a validator set the staking contract names. */
export interface SetMember {
  address: string;
  power: number;
}

/** The staking contract's current epoch: the one the next block belongs to. */
export interface Epoch {
  number: number;
  first_height: number;
  last_height: number;
  length: number;
}

export interface Evidence {
  height: number;
  round: number;
  validator: string;
  kind: string;
  first: string;
  second: string;
}

export interface Validators {
  consensus: string;
  height: number;
  window: number;
  total_power: number;
  validators: Validator[];
  evidence: Evidence[];
  /** Proof of stake only, as the three fields below. */
  epoch?: Epoch;
  /** The set the epoch's end would choose if it ended now. */
  projected_next_set?: SetMember[];
  /** Registered validators outside the current set. */
  candidates?: Candidate[];
}

/** One delegator's stake (`/v1/staking/delegations/{address}`, proof-of-stake chains only). */
export interface Delegations {
  delegator: string;
  height: number;
  epoch: number;
  delegations: { validator: string; stake: string; pending_rewards: string }[];
  unbonding: { validator: string; amount: string; start_epoch: number; completion_epoch: number; withdrawable: boolean }[];
  total_staked: string;
  total_unbonding: string;
  total_pending_rewards: string;
}

export interface Peers {
  count: number;
  peers: { id: string; address: string }[];
}

/** A governed chain's current epoch: passed proposals take effect after its last block. */
export interface GovernanceEpoch {
  number: number;
  first_height: number;
  last_height: number;
  length: number;
}

/** The governable chain parameters in force. */
export interface GovernanceParams {
  gas_limit: number;
  block_time_ms: number;
  epoch_length: number;
  voting_period_blocks: number;
  permission_accounts: boolean;
  permission_nodes: boolean;
  permission_deployers: boolean;
}

/** One organisation of a private or consortium network. */
export interface Organisation {
  id: number;
  /** Chosen by whoever proposed it: arbitrary text, shown only as text. */
  name: string;
  admins: string[];
  members: { account: string; deployer: boolean }[];
  nodes: { peer_id: string; consensus_address: string | null }[];
  validators: { address: string; public_key: string; power: number }[];
}

/** `/v1/governance/organisations` (404 `governance_unavailable` on an ungoverned chain). */
export interface Organisations {
  height: number;
  epoch: GovernanceEpoch;
  params: GovernanceParams;
  organisations: Organisation[];
}

export interface Vote {
  organisation: number;
  voter: string;
  support: boolean;
}

/** A governance proposal; the optional fields are those its kind uses. */
export interface Proposal {
  height: number;
  id: number;
  kind: string;
  status: string;
  proposer: string;
  proposer_organisation: number;
  created_height: number;
  deadline: number;
  decided_height: number | null;
  effective_height: number | null;
  yes: number;
  no: number;
  organisations: number;
  votes: Vote[];
  organisation?: number;
  name?: string;
  admins?: string[];
  validator?: string;
  public_key?: string;
  power?: number;
  peer_id?: string;
  consensus_address?: string | null;
  parameter?: string;
  value?: number;
  failure?: string;
}

export interface ProposalPage extends Page<Proposal> {
  height: number;
}

/** `/v1/governance/permissions/{address}`: what the account may do at the next block. */
export interface Permissions {
  address: string;
  height: number;
  organisation: { id: number; name: string } | null;
  role: "admin" | "member" | "none";
  deployer: boolean;
  can_transact: boolean;
  can_deploy: boolean;
  permission_accounts: boolean;
  permission_deployers: boolean;
}
