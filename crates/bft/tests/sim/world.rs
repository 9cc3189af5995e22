//! The simulated world: validators, a clock, a network and a fault schedule.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use alloy_primitives::{Address, B256, Bytes};
use cairn_bft::{
    BlockId, CairnContext, ConsensusSigner, Height, ValidatorAddress, Vote, decode_seal,
    encode_seal, verify_certificate,
};
use cairn_primitives::Header;
use k256::ecdsa::SigningKey;
use malachitebft_core_consensus::{
    ConsensusMsg, Effect, Input, LivenessMsg, LocallyProposedValue, Params, ProposedValue,
    Resumable, Resume, SignedConsensusMsg, State, process,
};
use malachitebft_core_types::{
    CertificateError, CommitCertificate, NilOrVal, Round, SignedMessage, Timeout, TimeoutKind,
    Validity, ValueOrigin, ValuePayload, VoteType,
};
use malachitebft_metrics::Metrics;
use rand::rngs::StdRng;
use rand::seq::index;
use rand::{Rng, SeedableRng};

use crate::sets::{EPOCH_LENGTH, Schedule};

/// Heights every validator must decide when the set never changes.
const FIXED_TARGET_HEIGHT: u64 = 8;
/// Epochs every validator must decide when the set changes at each epoch boundary.
const CHANGING_EPOCHS: u64 = 5;
/// Signers the changing sets are drawn from: more than any one set holds.
const POOL: usize = 7;
/// Faults happen only before this simulated time; afterwards the network is reliable.
const CHAOS_ENDS_MS: u64 = 6_000;
/// Simulated time by which every validator must have reached the target height.
const DEADLINE_MS: u64 = 120_000;
/// How often a validator checks whether it fell behind and fetches decided blocks.
const SYNC_EVERY_MS: u64 = 1_000;
/// The chain every simulated signature is bound to.
const CHAIN_ID: u64 = 1_337;

/// What goes wrong before `CHAOS_ENDS_MS`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Faults {
    /// Chance that one message to one peer is lost.
    pub drop: f64,
    /// Each message is delayed uniformly up to this, so messages overtake each other.
    pub max_delay_ms: u64,
    /// Validators split into two halves that cannot reach each other.
    pub partition: bool,
    /// Validators that crash (losing everything in memory) and later restart.
    pub crashes: usize,
    /// Validator 0 signs a second, conflicting vote at every step and sends it to half the peers.
    pub double_signer: bool,
    /// A validator out of the set of a height still signs a prevote and a precommit for every
    /// proposal it sees at that height and sends them to everyone, as a removed validator that
    /// ignores its removal would.
    pub outsiders_vote: bool,
}

impl Faults {
    pub(crate) fn none() -> Self {
        Self {
            drop: 0.0,
            max_delay_ms: 20,
            partition: false,
            crashes: 0,
            double_signer: false,
            outsiders_vote: false,
        }
    }
}

/// Who validates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sets {
    /// These many validators, each with power 1, decide every height.
    Fixed(usize),
    /// A pool of [`POOL`] signers, each running a core; the set, drawn from the seed, changes at
    /// every epoch boundary, and a signer out of a height's set follows that height as a full
    /// node does.
    Changing,
}

enum Event {
    Deliver { to: usize, input: Input<CairnContext> },
    Timeout { node: usize, timeout: Timeout, generation: u64 },
    StartHeight { node: usize, height: u64, epoch: u64 },
    Crash(usize),
    Restart(usize),
    Sync(usize),
}

/// What an effect asks of the world, applied after the core returns.
enum Action {
    Schedule(Timeout),
    Cancel(Timeout),
    CancelAll,
    Broadcast(Input<CairnContext>),
    Propose(u64, Round),
    Restream { height: u64, round: Round, valid_round: Round, proposer: ValidatorAddress, id: B256 },
    Decided(CommitCertificate<CairnContext>),
    Finalized { height: u64, evidence: usize },
}

struct Node {
    signer: ConsensusSigner,
    state: Option<State<CairnContext>>,
    /// The core's step metrics, one per life of the validator (they track its round steps).
    metrics: Metrics,
    /// Bumped at every crash, so events meant for the earlier life are ignored.
    epoch: u64,
    timers: Vec<(Timeout, u64)>,
    decided: BTreeMap<u64, B256>,
}

pub(crate) struct World {
    seed: u64,
    rng: StdRng,
    now: u64,
    sequence: u64,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: BTreeMap<u64, Event>,
    nodes: Vec<Node>,
    schedule: Schedule,
    target: u64,
    faults: Faults,
    /// Every proposed block, by hash.
    blocks: BTreeMap<B256, Header>,
    /// The first decision at each height, with its certificate.
    chain: BTreeMap<u64, (B256, CommitCertificate<CairnContext>)>,
    generation: u64,
    evidence: usize,
    /// Who signed a certificate that some validator decided or synced, by epoch.
    signers: BTreeMap<u64, BTreeSet<Address>>,
    /// Restarts at a height whose set the chain had already left behind: the validator starts
    /// with the set of its own height and syncs through a set change.
    restarts_behind_a_set_change: usize,
    /// Votes signed by validators out of the set of their height.
    outsider_votes: usize,
}

impl World {
    pub(crate) fn new(seed: u64, sets: Sets, faults: Faults) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let pool = match sets {
            Sets::Fixed(validators) => validators,
            Sets::Changing => POOL,
        };
        let signers: Vec<ConsensusSigner> = (0..pool)
            .map(|_| {
                let mut secret = [0u8; 32];
                rng.fill(&mut secret);
                secret[0] = secret[0].max(1);
                ConsensusSigner::new(SigningKey::from_slice(&secret).expect("key"), CHAIN_ID)
            })
            .collect();
        let (schedule, target) = match sets {
            Sets::Fixed(_) => (Schedule::fixed(&signers), FIXED_TARGET_HEIGHT),
            Sets::Changing => (
                Schedule::changing(&mut rng, &signers, CHANGING_EPOCHS),
                CHANGING_EPOCHS * EPOCH_LENGTH,
            ),
        };
        let nodes = signers
            .into_iter()
            .map(|signer| Node {
                signer,
                state: None,
                metrics: Metrics::new(),
                epoch: 0,
                timers: Vec::new(),
                decided: BTreeMap::new(),
            })
            .collect();
        let mut world = Self {
            seed,
            rng,
            now: 0,
            sequence: 0,
            queue: BinaryHeap::new(),
            events: BTreeMap::new(),
            nodes,
            schedule,
            target,
            faults,
            blocks: BTreeMap::new(),
            chain: BTreeMap::new(),
            generation: 0,
            evidence: 0,
            signers: BTreeMap::new(),
            restarts_behind_a_set_change: 0,
            outsider_votes: 0,
        };
        for node in 0..pool {
            world.boot(node, 1);
            world.at(SYNC_EVERY_MS, Event::Sync(node));
        }
        for node in index::sample(&mut world.rng, pool, faults.crashes) {
            let crash = world.rng.random_range(500..CHAOS_ENDS_MS / 2);
            let restart = world.rng.random_range(crash + 500..CHAOS_ENDS_MS);
            world.at(crash, Event::Crash(node));
            world.at(restart, Event::Restart(node));
        }
        world
    }

    /// Equivocations honest validators reported when finalizing heights.
    pub(crate) fn evidence_seen(&self) -> usize {
        self.evidence
    }

    /// The schedule of sets the run used.
    pub(crate) fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Restarts at a height of an earlier epoch than the chain had reached.
    pub(crate) fn restarts_behind_a_set_change(&self) -> usize {
        self.restarts_behind_a_set_change
    }

    /// Votes signed by validators out of the set of their height.
    pub(crate) fn outsider_votes(&self) -> usize {
        self.outsider_votes
    }

    /// Members of each epoch's set (up to the target height) whose precommit is in no
    /// certificate any validator decided or synced in that epoch.
    pub(crate) fn silent_members(&self) -> Vec<(u64, Address)> {
        (0..=self.schedule.epoch(self.target))
            .flat_map(|epoch| {
                let first_height = epoch.saturating_mul(EPOCH_LENGTH) + 1;
                let signed = self.signers.get(&epoch).cloned().unwrap_or_default();
                self.schedule
                    .members(first_height)
                    .into_iter()
                    .filter(move |m| !signed.contains(m))
                    .map(move |m| (epoch, m))
            })
            .collect()
    }

    /// Runs until every validator decided the target height; panics on a fork, a bad
    /// certificate or a missed deadline.
    pub(crate) fn run(&mut self) {
        while let Some(Reverse((time, sequence))) = self.queue.pop() {
            if time > DEADLINE_MS {
                break;
            }
            self.now = time;
            let event = self.events.remove(&sequence).expect("queued event");
            self.handle(event);
            if self.nodes.iter().all(|n| n.decided.contains_key(&self.target)) {
                return;
            }
        }
        let heights: Vec<Option<u64>> =
            self.nodes.iter().map(|n| n.decided.keys().last().copied()).collect();
        panic!(
            "seed {}: no progress after the faults stopped: decided heights {heights:?} at {} ms",
            self.seed, self.now
        );
    }

    fn at(&mut self, time: u64, event: Event) {
        self.sequence += 1;
        self.events.insert(self.sequence, event);
        self.queue.push(Reverse((time, self.sequence)));
    }

    fn chaos(&self) -> bool {
        self.now < CHAOS_ENDS_MS
    }

    fn reachable(&self, from: usize, to: usize) -> bool {
        let half = self.nodes.len() / 2;
        !(self.faults.partition && self.chaos() && (from < half) != (to < half))
    }

    fn send(&mut self, from: usize, to: usize, input: Input<CairnContext>) {
        if !self.reachable(from, to) || (self.chaos() && self.rng.random_bool(self.faults.drop)) {
            return;
        }
        let max_delay = if self.chaos() { self.faults.max_delay_ms } else { 20 };
        let delay = self.rng.random_range(1..=max_delay.max(1));
        self.at(self.now + delay, Event::Deliver { to, input });
    }

    fn boot(&mut self, node: usize, height: u64) {
        let address = self.nodes[node].signer.address();
        let params = Params {
            address,
            threshold_params: Default::default(),
            value_payload: ValuePayload::ProposalAndParts,
            enabled: true,
        };
        let set = (*self.schedule.at(height)).clone();
        let state = State::new(CairnContext, Height(height), set, params, 1_000, 1_000);
        let n = &mut self.nodes[node];
        n.state = Some(state);
        n.metrics = Metrics::new();
        n.timers.clear();
        self.start_height(node, height);
    }

    fn start_height(&mut self, node: usize, height: u64) {
        let input = Input::StartHeight(
            Height(height),
            (*self.schedule.at(height)).clone(),
            false,
            None,
            Default::default(),
        );
        self.feed(node, input);
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { to, input } => self.feed(to, input),
            Event::Timeout { node, timeout, generation } => {
                let timers = &mut self.nodes[node].timers;
                if let Some(i) = timers.iter().position(|&(t, g)| t == timeout && g == generation) {
                    timers.remove(i);
                    self.feed(node, Input::TimeoutElapsed(timeout));
                }
            }
            Event::StartHeight { node, height, epoch } => {
                if self.nodes[node].epoch == epoch {
                    self.start_height(node, height);
                }
            }
            Event::Crash(node) => {
                let n = &mut self.nodes[node];
                n.state = None;
                n.timers.clear();
                n.epoch += 1;
            }
            Event::Restart(node) => {
                let next = self.nodes[node].decided.keys().last().map_or(1, |h| h + 1);
                let tip = self.chain.keys().last().map_or(1, |h| h + 1);
                if self.schedule.epoch(tip) > self.schedule.epoch(next) {
                    self.restarts_behind_a_set_change += 1;
                }
                self.boot(node, next);
            }
            Event::Sync(node) => {
                self.catch_up(node);
                self.at(self.now + SYNC_EVERY_MS, Event::Sync(node));
            }
        }
    }

    /// A running validator behind the chain takes the decided blocks it lacks, each checked
    /// against its certificate, and restarts consensus after them.
    fn catch_up(&mut self, node: usize) {
        if self.nodes[node].state.is_none() {
            return;
        }
        let mut next = self.nodes[node].decided.keys().last().map_or(1, |h| h + 1);
        let mut fetched = false;
        while let Some((id, certificate)) = self.chain.get(&next).cloned() {
            let peer_has_it = (0..self.nodes.len()).any(|p| {
                p != node && self.reachable(p, node) && self.nodes[p].decided.contains_key(&next)
            });
            if !peer_has_it {
                break;
            }
            self.check_certificate(&certificate);
            self.nodes[node].decided.insert(next, id);
            self.count_signers(&certificate);
            next += 1;
            fetched = true;
        }
        if fetched {
            self.nodes[node].epoch += 1;
            self.boot(node, next);
        }
    }

    /// The certificate, encoded as a seal and decoded again, verifies against the set of its
    /// own height: more than two thirds of that set's power, no signer from outside it.
    fn check_certificate(&self, certificate: &CommitCertificate<CairnContext>) {
        let header = &self.blocks[&certificate.value_id.0];
        let seal = encode_seal(certificate);
        let decoded = decode_seal(&seal).expect("seal decodes");
        let set = self.schedule.at(header.number);
        if let Err(e) = verify_certificate(CHAIN_ID, &set, header, &decoded) {
            panic!("seed {}: certificate for height {} fails: {e}", self.seed, header.number);
        }
    }

    fn count_signers(&mut self, certificate: &CommitCertificate<CairnContext>) {
        let epoch = self.schedule.epoch(certificate.height.0);
        let signers = self.signers.entry(epoch).or_default();
        signers.extend(certificate.commit_signatures.iter().map(|s| s.address.0));
    }

    /// Runs one input through a validator's consensus core and applies what it asked for.
    fn feed(&mut self, node: usize, input: Input<CairnContext>) {
        if self.faults.outsiders_vote
            && let Input::Proposal(proposal) = &input
        {
            self.vote_as_outsider(node, &proposal.message);
        }
        let Some(mut state) = self.nodes[node].state.take() else { return };
        let mut actions = Vec::new();
        let signer = self.nodes[node].signer.clone();
        let schedule = &self.schedule;
        let result: Result<(), malachitebft_core_consensus::Error<CairnContext>> = process!(
            input: input,
            state: &mut state,
            metrics: &self.nodes[node].metrics,
            with: effect => Ok::<_, ()>(effect_to_action(effect, &signer, schedule, &mut actions))
        );
        if let Err(e) = result {
            panic!("seed {}: node {node}: consensus error: {e:?}", self.seed);
        }
        let epoch = self.nodes[node].epoch;
        self.nodes[node].state = Some(state);
        for action in actions {
            if self.nodes[node].epoch != epoch || self.nodes[node].state.is_none() {
                return;
            }
            self.apply(node, action);
        }
    }

    fn apply(&mut self, node: usize, action: Action) {
        match action {
            Action::Schedule(timeout) => {
                self.generation += 1;
                let generation = self.generation;
                let timers = &mut self.nodes[node].timers;
                timers.retain(|(t, _)| *t != timeout);
                timers.push((timeout, generation));
                let at = self.now + duration_ms(timeout);
                self.at(at, Event::Timeout { node, timeout, generation });
            }
            Action::Cancel(timeout) => self.nodes[node].timers.retain(|(t, _)| *t != timeout),
            Action::CancelAll => self.nodes[node].timers.clear(),
            Action::Broadcast(input) => {
                if self.faults.double_signer && node == 0 {
                    self.equivocate(&input);
                }
                for to in (0..self.nodes.len()).filter(|&to| to != node) {
                    self.send(node, to, input.clone());
                }
            }
            Action::Propose(height, round) => {
                let parent = self.chain.get(&(height - 1)).map_or(B256::ZERO, |(id, _)| *id);
                let header = Header {
                    number: height,
                    parent_hash: parent,
                    timestamp: self.now,
                    extra_data: Bytes::from(self.rng.random::<[u8; 8]>().to_vec()),
                    ..Default::default()
                };
                let id = header.hash();
                self.blocks.insert(id, header);
                let proposer = self.nodes[node].signer.address();
                let local = LocallyProposedValue::new(Height(height), round, BlockId(id));
                self.at(self.now, Event::Deliver { to: node, input: Input::Propose(local) });
                self.stream(node, height, round, Round::Nil, proposer, id);
            }
            Action::Restream { height, round, valid_round, proposer, id } => {
                self.stream(node, height, round, valid_round, proposer, id);
            }
            Action::Decided(certificate) => {
                let height = certificate.height.0;
                let id = certificate.value_id.0;
                self.check_certificate(&certificate);
                self.count_signers(&certificate);
                if let Some((first, _)) = self.chain.get(&height)
                    && *first != id
                {
                    panic!(
                        "seed {}: fork at height {height}: node {node} decided {id}, another {first}",
                        self.seed
                    );
                }
                self.chain.entry(height).or_insert((id, certificate));
                self.nodes[node].decided.insert(height, id);
            }
            Action::Finalized { height, evidence } => {
                if !(self.faults.double_signer && node == 0) {
                    self.evidence += evidence;
                }
                let epoch = self.nodes[node].epoch;
                self.at(self.now + 5, Event::StartHeight { node, height: height + 1, epoch });
            }
        }
    }

    /// The block itself reaches peers apart from the signed proposal, as proposal parts do.
    fn stream(
        &mut self,
        node: usize,
        height: u64,
        round: Round,
        valid_round: Round,
        proposer: ValidatorAddress,
        id: B256,
    ) {
        let value = ProposedValue {
            height: Height(height),
            round,
            valid_round,
            proposer,
            value: BlockId(id),
            validity: Validity::Valid,
        };
        for to in (0..self.nodes.len()).filter(|&to| to != node) {
            self.send(node, to, Input::ProposedValue(value.clone(), ValueOrigin::Consensus));
        }
    }

    /// A running validator out of the set of the proposal's height prevotes and precommits its
    /// value anyway, to everyone.
    fn vote_as_outsider(&mut self, node: usize, proposal: &cairn_bft::Proposal) {
        let signer = self.nodes[node].signer.clone();
        let height = proposal.height;
        if self.nodes[node].state.is_none() || self.schedule.is_member(height.0, signer.address().0)
        {
            return;
        }
        for vote_type in [VoteType::Prevote, VoteType::Precommit] {
            let value = NilOrVal::Val(proposal.value);
            let vote = Vote::new(vote_type, height, proposal.round, value, signer.address());
            let digest = vote.signing_hash(CHAIN_ID);
            let input = Input::Vote(sign(&signer, vote, digest));
            self.outsider_votes += 1;
            for to in (0..self.nodes.len()).filter(|&to| to != node) {
                self.send(node, to, input.clone());
            }
        }
    }

    /// The double signer's second vote for the same step: for a different value (nil, or the
    /// value if the honest vote was nil), sent to every other peer than the first.
    fn equivocate(&mut self, input: &Input<CairnContext>) {
        let Input::Vote(signed) = input else { return };
        let vote = &signed.message;
        let other = match vote.value {
            NilOrVal::Nil => NilOrVal::Val(BlockId(B256::repeat_byte(0xee))),
            NilOrVal::Val(_) => NilOrVal::Nil,
        };
        let conflicting =
            Vote::new(vote.vote_type, vote.height, vote.round, other, vote.validator_address);
        let signature =
            self.nodes[0].signer.sign_digest(conflicting.signing_hash(CHAIN_ID)).expect("sign");
        let second = Input::Vote(SignedMessage::new(conflicting, signature));
        for to in 1..self.nodes.len() {
            self.send(0, to, second.clone());
        }
    }
}

fn duration_ms(timeout: Timeout) -> u64 {
    let round = timeout.round.as_i64().max(0) as u64;
    match timeout.kind {
        TimeoutKind::Propose => 300 + 100 * round,
        TimeoutKind::Prevote | TimeoutKind::Precommit => 100 + 50 * round,
        TimeoutKind::Rebroadcast => 500,
        TimeoutKind::FinalizeHeight(d) => d.as_millis() as u64,
    }
}

fn sign<M>(signer: &ConsensusSigner, message: M, digest: B256) -> SignedMessage<CairnContext, M> {
    SignedMessage::new(message, signer.sign_digest(digest).expect("sign"))
}

fn effect_to_action(
    effect: Effect<CairnContext>,
    signer: &ConsensusSigner,
    schedule: &Schedule,
    actions: &mut Vec<Action>,
) -> Resume<CairnContext> {
    use malachitebft_core_types::ValidatorSet as _;
    match effect {
        Effect::CancelAllTimeouts(r) => {
            actions.push(Action::CancelAll);
            r.resume_with(())
        }
        Effect::CancelTimeout(t, r) => {
            actions.push(Action::Cancel(t));
            r.resume_with(())
        }
        Effect::ScheduleTimeout(t, r) => {
            actions.push(Action::Schedule(t));
            r.resume_with(())
        }
        Effect::PublishConsensusMsg(message, r) => {
            actions.push(Action::Broadcast(match message {
                SignedConsensusMsg::Vote(v) => Input::Vote(v),
                SignedConsensusMsg::Proposal(p) => Input::Proposal(p),
            }));
            r.resume_with(())
        }
        Effect::PublishLivenessMsg(message, r) => {
            actions.push(Action::Broadcast(match message {
                LivenessMsg::Vote(v) => Input::Vote(v),
                LivenessMsg::PolkaCertificate(c) => Input::PolkaCertificate(c),
                LivenessMsg::SkipRoundCertificate(c) => Input::RoundCertificate(c),
            }));
            r.resume_with(())
        }
        Effect::RepublishVote(v, r) => {
            actions.push(Action::Broadcast(Input::Vote(v)));
            r.resume_with(())
        }
        Effect::RepublishRoundCertificate(c, r) => {
            actions.push(Action::Broadcast(Input::RoundCertificate(c)));
            r.resume_with(())
        }
        Effect::GetValue(height, round, _, r) => {
            actions.push(Action::Propose(height.0, round));
            r.resume_with(())
        }
        Effect::RestreamProposal(height, round, valid_round, proposer, id, r) => {
            actions.push(Action::Restream {
                height: height.0,
                round,
                valid_round,
                proposer,
                id: id.0,
            });
            r.resume_with(())
        }
        Effect::Decide(certificate, _, r) => {
            actions.push(Action::Decided(certificate));
            r.resume_with(())
        }
        Effect::Finalize(certificate, _, evidence, r) => {
            let count = evidence.votes.len() + evidence.proposals.len();
            actions.push(Action::Finalized { height: certificate.height.0, evidence: count });
            r.resume_with(())
        }
        Effect::SignVote(vote, r) => {
            let digest = vote.signing_hash(CHAIN_ID);
            r.resume_with(sign(signer, vote, digest))
        }
        Effect::SignProposal(proposal, r) => {
            let digest = proposal.signing_hash(CHAIN_ID);
            r.resume_with(sign(signer, proposal, digest))
        }
        Effect::VerifySignature(signed, public_key, r) => {
            let digest = match &signed.message {
                ConsensusMsg::Vote(v) => v.signing_hash(CHAIN_ID),
                ConsensusMsg::Proposal(p) => p.signing_hash(CHAIN_ID),
            };
            r.resume_with(public_key.verify(digest, &signed.signature))
        }
        Effect::VerifyPolkaCertificate(certificate, _, _, r) => {
            let bad = certificate.polka_signatures.iter().find(|s| {
                let vote = Vote::new(
                    VoteType::Prevote,
                    certificate.height,
                    certificate.round,
                    NilOrVal::Val(certificate.value_id),
                    s.address,
                );
                !schedule
                    .at(certificate.height.0)
                    .get_by_address(&s.address)
                    .is_some_and(|v| v.public_key.verify(vote.signing_hash(CHAIN_ID), &s.signature))
            });
            r.resume_with(match bad {
                Some(s) => Err(CertificateError::InvalidPolkaSignature(s.clone())),
                None => Ok(()),
            })
        }
        Effect::VerifyRoundCertificate(_, _, _, r) => r.resume_with(Ok(())),
        Effect::VerifyCommitCertificate(_, _, _, r) => r.resume_with(Ok(())),
        Effect::VerifyExtendedCommitCertificate(_, _, _, _, r) => r.resume_with(Ok(())),
        Effect::CertVerifiedSyncValue(_, _, r) | Effect::CertRejectedSyncValue(_, _, _, r) => {
            r.resume_with(())
        }
        Effect::StartRound(_, _, _, _, r) | Effect::WalAppend(_, _, r) => r.resume_with(()),
        Effect::ExtendVote(_, _, _, _, r) => r.resume_with(None),
        Effect::VerifyVoteExtension(_, _, _, _, _, _, r) => r.resume_with(Ok(())),
    }
}
