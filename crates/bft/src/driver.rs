//! The driver: answers Malachite's requests with the node's blocks. It builds a block when
//! this validator proposes, re-executes blocks others propose before voting for them, commits
//! a block with its certificate as seal once decided, and serves decided blocks to peers that
//! sync.
//!
//! ```text
//!  Malachite ── GetValue ─────────────► Node::build_candidate ─► publish the block as a part
//!            ── ReceivedProposalPart ─► Node::check_candidate ─► Valid / Invalid
//!            ── Decided(certificate) ─► seal = certificate ─► Node::commit_candidate
//!            ── GetDecidedValues ─────► stored blocks + their seals (for peers that sync)
//!            ── ProcessSyncedValue ───► Node::check_candidate (then Decided commits it)
//!            ── ConsensusReady, Finalized ─► (next height, its set from Node::validator_set)
//! ```
//!
//! Malachite is given the validator set of every height it starts from the node's store, so
//! a height after an epoch's last block runs with the set that block recorded.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes as AlloyBytes};
use bytes::Bytes;
use cairn_consensus::Equivocation;
use cairn_node::{Candidate, Node, NodeError};
use cairn_primitives::{Block, ConsensusKind, MAX_BLOCK_TX_BYTES};
use cairn_storage::KvStore;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, ExtendedCommitCertificate, LinearTimeouts, Round, Validity, VoteExtensions,
};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, PeerId, ProposedValue};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use tracing::{debug, error, info, warn};

use crate::context::{BlockId, CairnContext, Height, ProposalPart, ValidatorAddress};
use crate::evidence::EvidenceLog;
use crate::evidence_pool::verify_equivocation;
use crate::finalized::FinalizedCertificates;
use crate::schedule::ValidatorSchedule;
use crate::seal::{decode_seal, encode_seal};

/// Most decided blocks served in one sync response (fewer when they are large).
const MAX_SYNC_BATCH: u64 = 64;
/// Executed candidates kept for the current height (one per round seen, at most).
const MAX_CANDIDATES: usize = 32;
/// Partial proposal streams kept at once.
const MAX_STREAMS: usize = 64;
/// Proposal parts kept for heights this node has not reached yet.
const MAX_FUTURE_PARTS: usize = 32;
/// How far ahead of the head a buffered proposal part may be.
const MAX_FUTURE_HEIGHTS: u64 = 4;

/// A proposal stream being received: its one data part and whether its end has arrived.
#[derive(Default)]
struct PartialStream {
    part: Option<ProposalPart>,
    fin: bool,
}

/// What the driver needs besides the node.
pub(crate) struct DriverConfig {
    /// Converts each height's set for Malachite (shared with the node's `BftConsensus`).
    pub(crate) schedule: ValidatorSchedule,
    /// This node's validator address; `None` on a full node.
    pub(crate) me: Option<ValidatorAddress>,
    /// Who the blocks this validator proposes pay their priority fees to.
    pub(crate) fee_recipient: Address,
    /// What the headers of the blocks this validator proposes carry in `extra_data`.
    pub(crate) extra_data: AlloyBytes,
    pub(crate) timeouts: LinearTimeouts,
    /// Where the `Finalized` certificate of the newest block goes, for the next proposal.
    pub(crate) finalized: Arc<FinalizedCertificates>,
}

pub(crate) struct Driver<K: KvStore> {
    node: Arc<Node<K>>,
    config: DriverConfig,
    evidence: Arc<EvidenceLog>,
    /// Executed blocks of the current height, by id, waiting for a decision.
    candidates: HashMap<BlockId, Candidate>,
    /// Values of the current height already seen, for `StartedRound` after a restart.
    seen: Vec<ProposedValue<CairnContext>>,
    /// What this node proposed per round of the current height, so a repeated request gets
    /// the same block.
    own: HashMap<Round, BlockId>,
    /// Encoded blocks of the current height, for restreaming.
    encoded: HashMap<BlockId, Vec<u8>>,
    streams: HashMap<(PeerId, StreamId), PartialStream>,
    future_parts: Vec<ProposalPart>,
    next_stream: u64,
}

impl<K: KvStore> Driver<K> {
    pub(crate) fn new(
        node: Arc<Node<K>>,
        config: DriverConfig,
        evidence: Arc<EvidenceLog>,
    ) -> Self {
        Self {
            node,
            config,
            evidence,
            candidates: HashMap::new(),
            seen: Vec::new(),
            own: HashMap::new(),
            encoded: HashMap::new(),
            streams: HashMap::new(),
            future_parts: Vec::new(),
            next_stream: 0,
        }
    }

    /// What Malachite needs to run `height`: the validators of that height among them, as
    /// the node's store decides them, and the block time at the head (a governed chain's
    /// voted one applies from the first height started after the block that changed it). A
    /// failure (a store error, a set not known yet) is the caller's to log; Malachite then
    /// gets no answer and waits.
    fn params(&self, height: Height) -> Result<HeightParams<CairnContext>, NodeError> {
        let record = self.node.validator_set(height.0)?;
        let set = self.config.schedule.convert(&record)?;
        let block_time = self.node.block_time()?;
        Ok(HeightParams::new(set.as_ref().clone(), self.config.timeouts, Some(block_time)))
    }

    /// On a proof-of-stake chain, queues what the engine found for the blocks this node
    /// builds, each checked as a submitted item is (a conversion fault is logged, not pooled).
    fn pool_evidence(&self, found: &[Equivocation]) {
        if self.node.spec().consensus != ConsensusKind::Pos {
            return;
        }
        let chain_id = self.node.spec().chain_id;
        for e in found {
            let pooled = self
                .node
                .validator_set(e.height)
                .map_err(|e| e.to_string())
                .and_then(|set| verify_equivocation(chain_id, &set, e).map_err(|e| e.to_string()))
                .and_then(|item| self.evidence.pool().add(item).map_err(|e| e.to_string()));
            match pooled {
                Ok(hash) => {
                    info!(%hash, validator = %e.validator, height = e.height, "double-sign evidence queued for a block")
                }
                Err(reason) => {
                    warn!(validator = %e.validator, height = e.height, %reason, "equivocation not queued as evidence")
                }
            }
        }
    }

    fn head_number(&self) -> Result<u64, NodeError> {
        Ok(self.node.head()?.number)
    }

    /// Serves Malachite until its channel closes.
    pub(crate) async fn run(mut self, mut channels: Channels<CairnContext>) {
        while let Some(message) = channels.consensus.recv().await {
            if let Err(e) = self.handle(message, &channels).await {
                error!(error = %e, "consensus driver step failed");
            }
        }
        info!("consensus engine stopped");
    }

    async fn handle(
        &mut self,
        message: AppMsg<CairnContext>,
        channels: &Channels<CairnContext>,
    ) -> Result<(), NodeError> {
        match message {
            AppMsg::ConsensusReady { reply } => {
                let start = Height(self.head_number()? + 1);
                info!(height = %start, "consensus ready");
                let _ = reply.send((start, self.params(start)?));
            }
            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(%height, %round, %proposer, ?role, "round started");
                self.enter_height(height);
                let mut values: Vec<_> =
                    self.seen.iter().filter(|v| v.round == round).cloned().collect();
                for part in self.take_future_parts(height) {
                    if part.round == round
                        && let Some(value) = self.receive_block(part).await?
                    {
                        values.push(value);
                    }
                }
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue { height, round, timeout: _, reply } => {
                let id = match self.own.get(&round) {
                    Some(id) => *id,
                    None => self.build(height, round).await?,
                };
                let _ = reply.send(LocallyProposedValue::new(height, round, id));
                self.publish(channels, height, round, Round::Nil, id).await;
            }
            AppMsg::RestreamProposal { height, round, valid_round, address, value_id } => {
                if Some(address) == self.config.me {
                    self.publish(channels, height, round, valid_round, value_id).await;
                }
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let origin = published_by.unwrap_or(from);
                let value = match self.collect(origin, part) {
                    Some(part) => self.receive_block(part).await?,
                    None => None,
                };
                let _ = reply.send(value);
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let verdicts =
                    extensions.into_iter().map(|(address, _)| (address, Ok(()))).collect();
                let _ = reply.send(verdicts);
            }
            AppMsg::Decided { certificate, extensions: _, reply } => {
                self.commit(certificate).await;
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, extensions: _, evidence, reply } => {
                if !evidence.is_empty() {
                    let found = self.evidence.record(certificate.height.0, &evidence);
                    self.pool_evidence(&found);
                }
                let head = self.head_number()?;
                if head >= certificate.height.0 {
                    self.config.finalized.note(certificate.height.0, encode_seal(&certificate));
                }
                let next = if head >= certificate.height.0 {
                    Next::Start(Height(head + 1), self.params(Height(head + 1))?)
                } else {
                    warn!(height = %certificate.height, "decided block not committed; restarting the height");
                    Next::Restart(certificate.height, self.params(certificate.height)?)
                };
                let _ = reply.send(next);
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let node = self.node.clone();
                let values = tokio::task::spawn_blocking(move || decided_values(&node, range))
                    .await
                    .unwrap_or_else(|e| {
                        error!(error = %e, "reading decided blocks failed");
                        Vec::new()
                    });
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = match decode_block(&value_bytes) {
                    Err(reason) => {
                        warn!(%height, %reason, "peer sent an undecodable block");
                        SyncedValueOutcome::PeerFault
                    }
                    Ok(block) => match self.check(block).await {
                        Ok((id, validity)) => SyncedValueOutcome::Verdict(ProposedValue {
                            height,
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            value: id,
                            validity,
                        }),
                        Err(e) => {
                            warn!(%height, error = %e, "cannot check a synced block");
                            SyncedValueOutcome::LocalTransientError
                        }
                    },
                };
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// Forgets what belonged to earlier heights.
    fn enter_height(&mut self, height: Height) {
        let stale = |h: Height| h < height;
        if self.seen.iter().any(|v| stale(v.height)) || self.seen.is_empty() {
            self.seen.retain(|v| !stale(v.height));
            self.candidates.retain(|_, c| Height(c.block.header.number) >= height);
            self.encoded.retain(|id, _| self.candidates.contains_key(id));
            self.own.clear();
        }
    }

    fn take_future_parts(&mut self, height: Height) -> Vec<ProposalPart> {
        let (now, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.future_parts).into_iter().partition(|p| p.height == height);
        self.future_parts = later.into_iter().filter(|p| p.height > height).collect();
        now
    }

    /// Builds this node's block for `round` and remembers it.
    async fn build(&mut self, height: Height, round: Round) -> Result<BlockId, NodeError> {
        let node = self.node.clone();
        let beneficiary = self.config.fee_recipient;
        let extra_data = self.config.extra_data.clone();
        let candidate =
            tokio::task::spawn_blocking(move || node.build_candidate_with(beneficiary, extra_data))
                .await
                .map_err(|e| NodeError::InvalidCall(format!("block builder failed: {e}")))??;
        let id = BlockId(candidate.block.hash());
        info!(%height, %round, block = %id, txs = candidate.block.transactions.len(), "proposing");
        self.encoded.insert(id, alloy_rlp::encode(&candidate.block));
        self.candidates.insert(id, candidate);
        self.own.insert(round, id);
        Ok(id)
    }

    /// Sends a block this node holds as a one-part proposal stream.
    async fn publish(
        &mut self,
        channels: &Channels<CairnContext>,
        height: Height,
        round: Round,
        pol_round: Round,
        id: BlockId,
    ) {
        let (Some(me), Some(block)) = (self.config.me, self.encoded.get(&id)) else {
            warn!(%height, %round, block = %id, "cannot stream a block this node does not hold");
            return;
        };
        let part = ProposalPart { height, round, pol_round, proposer: me, block: block.clone() };
        self.next_stream += 1;
        let mut stream = height.0.to_be_bytes().to_vec();
        stream.extend_from_slice(&round.as_i64().to_be_bytes());
        stream.extend_from_slice(&self.next_stream.to_be_bytes());
        let stream_id = StreamId::new(Bytes::from(stream));
        let messages = [
            StreamMessage::new(stream_id.clone(), 0, StreamContent::Data(part)),
            StreamMessage::new(stream_id, 1, StreamContent::Fin),
        ];
        for message in messages {
            if channels.network.send(NetworkMsg::PublishProposalPart(message)).await.is_err() {
                warn!("network channel closed; proposal not sent");
                return;
            }
        }
    }

    /// Adds a stream message; returns the part once its stream is complete.
    fn collect(
        &mut self,
        origin: PeerId,
        message: StreamMessage<ProposalPart>,
    ) -> Option<ProposalPart> {
        let key = (origin, message.stream_id.clone());
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            self.streams.clear();
        }
        let stream = self.streams.entry(key.clone()).or_default();
        match message.content {
            StreamContent::Data(part) => stream.part = Some(part),
            StreamContent::Fin => stream.fin = true,
        }
        if stream.fin && stream.part.is_some() {
            return self.streams.remove(&key).and_then(|s| s.part);
        }
        None
    }

    /// Checks a proposed block and returns the value consensus should consider; parts for
    /// later heights wait until this node gets there. A block proposed in this validator's own
    /// name that it did not build means its key also runs elsewhere: the node never adopts
    /// such a block as its own proposal, so it proposes its own block and both copies' signed
    /// messages reach the peers as equivocation evidence instead of the duplicate staying
    /// hidden.
    async fn receive_block(
        &mut self,
        part: ProposalPart,
    ) -> Result<Option<ProposedValue<CairnContext>>, NodeError> {
        let next = self.head_number()? + 1;
        if part.height.0 > next {
            if part.height.0 <= next + MAX_FUTURE_HEIGHTS
                && self.future_parts.len() < MAX_FUTURE_PARTS
            {
                self.future_parts.push(part);
            }
            return Ok(None);
        }
        if part.height.0 < next {
            return Ok(None);
        }
        let block = match decode_block(&part.block) {
            Ok(block) => block,
            Err(reason) => {
                warn!(height = %part.height, proposer = %part.proposer, %reason, "undecodable proposal");
                return Ok(None);
            }
        };
        if Some(part.proposer) == self.config.me
            && self.own.get(&part.round) != Some(&BlockId(block.hash()))
        {
            error!(height = %part.height, round = %part.round, block = %block.hash(), "a block proposed under this validator's key that this node did not build: the key runs elsewhere too; proposing and voting for this node's own block");
            return Ok(None);
        }
        let (id, validity) = self.check(block).await?;
        if validity == Validity::Valid {
            self.encoded.insert(id, part.block);
        }
        let value = ProposedValue {
            height: part.height,
            round: part.round,
            valid_round: part.pol_round,
            proposer: part.proposer,
            value: id,
            validity,
        };
        self.seen.push(value.clone());
        Ok(Some(value))
    }

    /// Re-executes a block on the head; a valid one is kept for the decision.
    async fn check(&mut self, block: Block) -> Result<(BlockId, Validity), NodeError> {
        let id = BlockId(block.hash());
        if self.candidates.contains_key(&id) {
            return Ok((id, Validity::Valid));
        }
        let number = block.header.number;
        let node = self.node.clone();
        let checked = tokio::task::spawn_blocking(move || node.check_candidate(block))
            .await
            .map_err(|e| NodeError::InvalidCall(format!("block checker failed: {e}")))?;
        match checked {
            Ok(candidate) => {
                if self.candidates.len() >= MAX_CANDIDATES {
                    self.candidates.clear();
                }
                self.candidates.insert(id, candidate);
                Ok((id, Validity::Valid))
            }
            // A node whose own store failed does not vote on what it could not check.
            Err(
                e @ (NodeError::Store(_)
                | NodeError::Consensus(_)
                | NodeError::InvalidBlock { .. }
                | NodeError::Exec(_)),
            ) if self.node.storage_failure().is_none() => {
                warn!(number, block = %id, error = %e, "voting against an invalid block");
                Ok((id, Validity::Invalid))
            }
            Err(e) => Err(e),
        }
    }

    /// Commits the decided block with its certificate as seal.
    async fn commit(&mut self, certificate: CommitCertificate<CairnContext>) {
        let height = certificate.height;
        let Some(mut candidate) = self.candidates.remove(&certificate.value_id) else {
            warn!(%height, block = %certificate.value_id, "decided on a block this node does not hold");
            return;
        };
        candidate.block.header.seal = encode_seal(&certificate);
        let included = candidate.block.consensus.as_ref().map(|c| c.evidence.clone());
        let node = self.node.clone();
        match tokio::task::spawn_blocking(move || node.commit_candidate(candidate)).await {
            Ok(Ok(header)) => {
                debug!(number = header.number, "decided block committed");
                self.evidence.pool().remove(&included.unwrap_or_default());
            }
            Ok(Err(e)) => error!(%height, error = %e, "cannot commit the decided block"),
            Err(e) => error!(%height, error = %e, "commit task failed"),
        }
        self.candidates.clear();
        self.seen.clear();
        self.own.clear();
        self.encoded.clear();
    }
}

fn decode_block(bytes: &[u8]) -> Result<Block, String> {
    let block = Block::decode_bytes(bytes).map_err(|e| e.to_string())?;
    if !block.header.seal.is_empty() {
        return Err("a proposed block carries no seal".into());
    }
    Ok(block)
}

/// Stored blocks in `range` with their certificates, for a peer that syncs.
fn decided_values<K: KvStore>(
    node: &Node<K>,
    range: RangeInclusive<Height>,
) -> Vec<RawDecidedValue<CairnContext>> {
    let start = range.start().0.max(1);
    let end = range.end().0.min(start.saturating_add(MAX_SYNC_BATCH - 1));
    let mut values = Vec::new();
    // One response carries about as much as one largest block (and always at least one block).
    let mut bytes = 0;
    for number in start..=end {
        let block = match node.block(number) {
            Ok(Some(block)) => block,
            Ok(None) => break,
            Err(e) => {
                error!(number, error = %e, "cannot read a decided block");
                break;
            }
        };
        let certificate = match decode_seal(&block.header.seal) {
            Ok(certificate) => certificate,
            Err(reason) => {
                error!(number, %reason, "stored block has no certificate");
                break;
            }
        };
        let mut unsealed = block;
        unsealed.header.seal = AlloyBytes::new();
        let encoded = alloy_rlp::encode(&unsealed);
        bytes += encoded.len();
        if !values.is_empty() && bytes > MAX_BLOCK_TX_BYTES {
            break;
        }
        let certificate = ExtendedCommitCertificate::from_commit_certificate_and_extensions(
            certificate,
            VoteExtensions::default(),
        );
        values.push(RawDecidedValue::new(Bytes::from(encoded), certificate));
    }
    values
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alloy_primitives::TxKind;
    use cairn_consensus::test_utils::RecordingEnd;
    use cairn_consensus::{ConsensusError, ConsensusRoles};
    use cairn_primitives::test_utils::signed_call;
    use cairn_primitives::{ChainSpec, SetMember, ValidatorSetRecord, dev_accounts};
    use cairn_storage::MemoryKv;
    use k256::ecdsa::SigningKey;
    use malachitebft_app_channel::app::events::TxEvent;
    use malachitebft_core_consensus::MisbehaviorEvidence;

    use super::*;
    use crate::error::SealError;
    use crate::seal::BftConsensus;
    use crate::seal::tests::{bft_spec, certificate, signers_for};
    use crate::signing::ConsensusSigner;

    /// Transactions of 120 kB of calldata, each with a 600,000 gas limit: a 25M-gas block holds
    /// 41 of them, about 4.9 MB.
    const CALLDATA: usize = 120_000;

    /// A chain of two blocks over 4 MB and an empty third one, sealed by four validators.
    fn chain_of_large_blocks() -> Node<MemoryKv> {
        let signers = signers_for(31337);
        let spec = ChainSpec { gas_limit: 25_000_000, ..ChainSpec::dev().expect("dev spec") };
        let spec = bft_spec(&signers, spec);
        let consensus = BftConsensus::new(
            spec.chain_id,
            ValidatorSchedule::default(),
            signers[0].address().0,
            Arc::new(EvidenceLog::in_memory()),
        );
        let node = Node::open(MemoryKv::new(), spec.clone(), Arc::new(consensus)).expect("node");
        for account in dev_accounts(10).expect("accounts") {
            for nonce in 0..8 {
                let input = AlloyBytes::from(vec![0u8; CALLDATA]);
                let to = TxKind::Call(Address::repeat_byte(7));
                let raw = signed_call(&account.signer, spec.chain_id, nonce, to, input, 600_000)
                    .expect("sign");
                node.submit_raw(&raw).expect("admitted");
            }
        }
        for _ in 0..3 {
            let mut candidate = node.build_candidate(signers[0].address().0).expect("built");
            let seal = encode_seal(&certificate(&candidate.block.header, &signers));
            candidate.block.header.seal = seal;
            node.commit_candidate(candidate).expect("committed");
        }
        node
    }

    #[test]
    fn a_sync_response_carries_about_one_largest_block_and_always_one() {
        let node = chain_of_large_blocks();
        let sizes: Vec<usize> = (1..=3)
            .map(|n| node.block(n).expect("read").expect("stored").transaction_bytes())
            .collect();
        assert!(
            sizes[0] > MAX_BLOCK_TX_BYTES / 2 && sizes[1] > MAX_BLOCK_TX_BYTES / 2,
            "{sizes:?}"
        );

        let served = |from: u64, to: u64| decided_values(&node, Height(from)..=Height(to));
        assert_eq!(served(1, 3).len(), 1, "two large blocks do not fit one response");
        assert_eq!(served(2, 3).len(), 2, "a large block and an empty one do");
        let third = served(3, 3);
        assert_eq!(third.len(), 1);
        let block = decode_block(&third[0].value_bytes).expect("an unsealed block");
        assert_eq!(block.hash(), node.block(3).expect("read").expect("stored").hash());
        assert_eq!(third[0].certificate.height, Height(3));
    }

    fn record(epoch: u64, first_height: u64, signers: &[ConsensusSigner]) -> ValidatorSetRecord {
        let mut members: Vec<SetMember> = signers
            .iter()
            .map(|s| SetMember {
                address: s.address().0,
                public_key: s.public_key().0.to_vec().into(),
                power: 1,
            })
            .collect();
        members.sort_by_key(|m| m.address);
        ValidatorSetRecord { epoch, first_height, members }
    }

    /// Channels whose other ends are dropped: what `handle` needs besides the message.
    fn channels() -> Channels<CairnContext> {
        Channels {
            consensus: tokio::sync::mpsc::channel(1).1,
            network: tokio::sync::mpsc::channel(1).0,
            events: TxEvent::new(),
            requests: tokio::sync::mpsc::channel(1).0,
            net_requests: tokio::sync::mpsc::channel(1).0,
        }
    }

    async fn ready(driver: &mut Driver<MemoryKv>) -> (Height, Vec<Address>) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        driver.handle(AppMsg::ConsensusReady { reply }, &channels()).await.expect("ready");
        let (height, params) = answer.await.expect("an answer");
        (height, members(&params))
    }

    async fn finalized(
        driver: &mut Driver<MemoryKv>,
        certificate: CommitCertificate<CairnContext>,
    ) -> Next<CairnContext> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let evidence = MisbehaviorEvidence {
            proposals: malachitebft_core_driver::proposal_keeper::EvidenceMap::new(),
            votes: malachitebft_core_votekeeper::EvidenceMap::new(),
        };
        let message = AppMsg::Finalized {
            certificate,
            extensions: VoteExtensions::default(),
            evidence,
            reply,
        };
        driver.handle(message, &channels()).await.expect("finalized");
        answer.await.expect("an answer")
    }

    fn members(params: &HeightParams<CairnContext>) -> Vec<Address> {
        params.validator_set.validators().iter().map(|v| v.address.0).collect()
    }

    fn addresses(record: &ValidatorSetRecord) -> Vec<Address> {
        record.members.iter().map(|m| m.address).collect()
    }

    /// Malachite is given each height's set from the node's store: the genesis set until a
    /// block records another, that block's record from its first height on, on `ConsensusReady`
    /// (also after a restart), on `Finalized` (`Start` of the next height, `Restart` of one
    /// not committed); and a certificate of the old set does not seal a block of the new one.
    #[tokio::test]
    async fn malachite_gets_each_heights_set_on_each_side_of_a_set_change() {
        let all: Vec<ConsensusSigner> = (1u8..=8)
            .map(|i| ConsensusSigner::new(SigningKey::from_slice(&[i; 32]).expect("key"), 7))
            .collect();
        let (a, b, c) = (&all[..4], &all[4..], &all[2..6]);
        let spec = bft_spec(a, ChainSpec::dev().expect("dev spec"));
        let genesis = spec.genesis_validator_set().expect("genesis set");
        let (set_b, set_c) = (record(1, 3, b), record(2, 5, c));
        let schedule = ValidatorSchedule::from_spec(&spec).expect("schedule");
        let bft = Arc::new(BftConsensus::new(
            spec.chain_id,
            schedule.clone(),
            Address::ZERO,
            Arc::new(EvidenceLog::in_memory()),
        ));
        let roles = ConsensusRoles {
            validator: bft.clone(),
            production: bft.clone(),
            reads: bft,
            block_end: Arc::new(RecordingEnd(BTreeMap::from([
                (2, set_b.clone()),
                (4, set_c.clone()),
            ]))),
            transactions: Arc::new(cairn_consensus::AnyTransaction),
        };
        let node = Arc::new(Node::open(MemoryKv::new(), spec, roles).expect("node"));
        let noted = Arc::new(FinalizedCertificates::default());
        let config = || DriverConfig {
            schedule: schedule.clone(),
            me: None,
            fee_recipient: Address::ZERO,
            extra_data: AlloyBytes::new(),
            timeouts: LinearTimeouts::default(),
            finalized: noted.clone(),
        };
        let mut driver = Driver::new(node.clone(), config(), Arc::new(EvidenceLog::in_memory()));
        let certified = |by: &[ConsensusSigner]| {
            let mut candidate = node.build_candidate(Address::ZERO).expect("build");
            let certificate = certificate(&candidate.block.header, by);
            candidate.block.header.seal = encode_seal(&certificate);
            (candidate, certificate)
        };

        assert_eq!(ready(&mut driver).await, (Height(1), addresses(&genesis)));
        for _ in 1..=2 {
            let (candidate, certificate) = certified(a);
            node.commit_candidate(candidate).expect("sealed by the genesis set");
            let next = finalized(&mut driver, certificate).await;
            let Next::Start(height, params) = next else { panic!("{next:?}") };
            let expected = if height == Height(3) { &set_b } else { &genesis };
            assert_eq!(members(&params), addresses(expected), "{height}");
        }

        // Height 3 is the new set's: the old set's certificate does not seal it.
        let (stale, _) = certified(a);
        match node.commit_candidate(stale) {
            Err(NodeError::Consensus(ConsensusError::Seal { number: 3, source })) => assert!(
                matches!(source.downcast_ref(), Some(SealError::UnknownSigner { height: 3, .. })),
                "{source}"
            ),
            other => panic!("{other:?}"),
        }
        let (candidate, _) = certified(b);
        node.commit_candidate(candidate).expect("sealed by its own set");

        // Block 4 decided but not committed yet: its height restarts with its own set, and its
        // certificate is not kept for the next proposal until the block is committed.
        let (candidate, certificate) = certified(b);
        let next = finalized(&mut driver, certificate.clone()).await;
        let Next::Restart(Height(4), params) = next else { panic!("{next:?}") };
        assert_eq!(members(&params), addresses(&set_b));
        assert_eq!(noted.of(4), None);
        node.commit_candidate(candidate).expect("sealed by its own set");
        let next = finalized(&mut driver, certificate.clone()).await;
        assert_eq!(noted.of(4), Some(encode_seal(&certificate)));
        let Next::Start(Height(5), params) = next else { panic!("{next:?}") };
        assert_eq!(members(&params), addresses(&set_c));

        // A restarted driver starts the next height with the newest record's set.
        let mut restarted = Driver::new(node.clone(), config(), Arc::new(EvidenceLog::in_memory()));
        assert_eq!(ready(&mut restarted).await, (Height(5), addresses(&set_c)));
        for (height, set) in [(1, &genesis), (2, &genesis), (3, &set_b), (4, &set_b), (5, &set_c)] {
            assert_eq!(*node.validator_set(height).expect("set"), *set, "height {height}");
        }
    }

    /// Found by fuzzing: alloy ignores the length a typed transaction's wrapper names, so a
    /// proposed block had many encodings; only the canonical one is taken.
    #[test]
    fn a_proposed_block_in_another_encoding_is_refused() {
        let account = &dev_accounts(1).expect("accounts")[0];
        let to = TxKind::Call(Address::repeat_byte(7));
        let raw = signed_call(&account.signer, 1, 0, to, AlloyBytes::new(), 21_000).expect("sign");
        let mut wrapped = Vec::new();
        alloy_rlp::Header { list: false, payload_length: raw.len() }.encode(&mut wrapped);
        wrapped.extend_from_slice(&raw);
        let tx = alloy_rlp::Decodable::decode(&mut wrapped.as_slice()).expect("a transaction");
        let block = Block { consensus: None, header: Default::default(), transactions: vec![tx] };
        let mut bytes = block.encode_to_vec();
        assert_eq!(decode_block(&bytes).expect("canonical"), block);
        // The last item's wrapper: `b8 <length>` before the type byte.
        let wrapper = bytes.len() - raw.len() - 2;
        assert_eq!(bytes[wrapper..wrapper + 3], [0xb8, raw.len() as u8, 2]);
        bytes[wrapper + 1] -= 1;
        let err = decode_block(&bytes).expect_err("refused");
        assert!(err.contains("canonical"), "{err}");
    }
}
