//! Proof of work: anyone mines, the work of a block is in its seal (the nonce) and its
//! difficulty, each block mints a reward to its miner, and a block counts as final once
//! enough work is built on it.

mod difficulty;
mod work;

use alloy_primitives::{Address, U256};
use cairn_execution::{BlockEnd, EndOfBlock, ExecError, SystemCaller};
use cairn_primitives::{Block, ChainSpec, Header, PowParams};
use cairn_storage::StateView;

pub use difficulty::{HALF_LIFE_BLOCKS, MAX_DIFFICULTY, next_difficulty};
pub use work::{NONCE_BYTES, meets, seal, search, target, work_hash};

use crate::{
    BlockEndRules, BlockProduction, ConsensusError, ConsensusReads, Equivocation, Finality,
    HeaderValidator, Sealing, ValidatorPower, ValidatorSets, refuse_consensus_data,
    validate_parent_link,
};

/// The proof-of-work engine of one chain. The roles are the chain's rules; who mines and how
/// hard is the miner's business (`cairn_node::Miner`).
#[derive(Debug, Clone)]
pub struct PowConsensus {
    params: PowParams,
    block_time_ms: u64,
    coinbase: Address,
}

impl PowConsensus {
    /// The engine of `spec`'s chain, whose blocks built here pay `coinbase`.
    pub fn new(spec: &ChainSpec, coinbase: Address) -> Self {
        Self { params: spec.pow_params(), block_time_ms: spec.block_time_ms, coinbase }
    }

    /// The difficulty a child of `parent` made at `timestamp_ms` must carry.
    fn child_difficulty(&self, parent: &Header, timestamp_ms: u64) -> Option<U256> {
        parent.difficulty.map(|difficulty| {
            next_difficulty(
                difficulty,
                parent.timestamp_ms,
                timestamp_ms,
                self.block_time_ms,
                self.params.min_difficulty,
            )
        })
    }
}

/// The nonce a proof-of-work seal holds, if it is one.
pub fn nonce_of(header: &Header) -> Option<u64> {
    let bytes: [u8; NONCE_BYTES] = header.seal.as_ref().try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

impl HeaderValidator for PowConsensus {
    /// The shared rules, the difficulty the parent and the header's time give, and a nonce
    /// whose work hash is under the difficulty's target.
    fn validate_header(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        header: &Header,
    ) -> Result<(), ConsensusError> {
        validate_parent_link(parent, header, sets.gas_limit_after(parent)?)?;
        let number = header.number;
        let expected = self.child_difficulty(parent, header.timestamp_ms);
        let difficulty = match (header.difficulty, expected) {
            (Some(got), Some(expected)) if got == expected => got,
            (got, expected) => return Err(ConsensusError::Difficulty { number, got, expected }),
        };
        let nonce = nonce_of(header)
            .ok_or(ConsensusError::NonceLength { number, len: header.seal.len() })?;
        let work = work_hash(header.hash(), nonce);
        if U256::from_be_bytes(work.0) > target(difficulty) {
            return Err(ConsensusError::InsufficientWork { number, work_hash: work, difficulty });
        }
        Ok(())
    }
}

impl BlockProduction for PowConsensus {
    /// Nobody is expected: whoever finds the work first makes the block.
    fn proposer(
        &self,
        _sets: &dyn ValidatorSets,
        _height: u64,
        _round: u32,
    ) -> Result<Option<Address>, ConsensusError> {
        Ok(None)
    }

    fn beneficiary(&self) -> Address {
        self.coinbase
    }

    fn difficulty(&self, parent: &Header, timestamp_ms: u64) -> Option<U256> {
        self.child_difficulty(parent, timestamp_ms)
    }

    fn seal(&self, _header: &Header) -> Result<Sealing, ConsensusError> {
        Ok(Sealing::ByWork)
    }
}

impl ConsensusReads for PowConsensus {
    /// Nobody validates: anyone may mine.
    fn validators(
        &self,
        _sets: &dyn ValidatorSets,
        _height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError> {
        Ok(Vec::new())
    }

    /// A mined block's only voucher is its miner, paid as its beneficiary.
    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        Ok(vec![header.beneficiary])
    }

    fn proposer_of(
        &self,
        _sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError> {
        Ok(Some(header.beneficiary))
    }

    fn evidence(&self) -> Vec<Equivocation> {
        Vec::new()
    }

    /// A block is safe and final once the spec's numbers of blocks are built on it: a branch
    /// with more work could still replace anything newer.
    fn finality(&self, head: u64) -> Finality {
        Finality {
            safe: head.saturating_sub(self.params.safe_confirmations),
            finalized: head.saturating_sub(self.params.confirmations),
        }
    }
}

impl BlockEndRules for PowConsensus {
    fn import(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        refuse_consensus_data(block)?;
        Ok(Box::new(BlockReward(self.params.block_reward)))
    }

    fn build(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(BlockReward(self.params.block_reward)))
    }
}

/// The end of a mined block: its reward minted to its beneficiary (the miner's coinbase).
struct BlockReward(U256);

impl BlockEnd for BlockReward {
    fn finish(&self, calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        if !self.0.is_zero() {
            let miner = calls.block().beneficiary;
            calls.mint(miner, self.0)?;
        }
        Ok(EndOfBlock::default())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use alloy_primitives::Bytes;
    use cairn_primitives::{ConsensusKind, ValidatorSetRecord, next_base_fee};

    use super::*;
    use crate::DevConsensus;

    /// No validators: proof of work never asks for them.
    struct NoSets;

    impl ValidatorSets for NoSets {
        fn set_at(&self, _height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
            Ok(Arc::new(ValidatorSetRecord { epoch: 0, first_height: 1, members: Vec::new() }))
        }
    }

    fn engine() -> PowConsensus {
        let spec = ChainSpec {
            consensus: ConsensusKind::Pow,
            pow: Some(PowParams { min_difficulty: 500, ..PowParams::default() }),
            ..ChainSpec::dev().expect("dev spec")
        };
        PowConsensus::new(&spec, Address::repeat_byte(0xc0))
    }

    fn parent() -> Header {
        Header {
            number: 7,
            timestamp: 10,
            timestamp_ms: 10_000,
            gas_limit: 30_000_000,
            difficulty: Some(U256::from(4_000)),
            seal: Bytes::from_static(&[0; 8]),
            ..Default::default()
        }
    }

    /// The child of `parent` made `elapsed` ms later, with the difficulty the rule gives and
    /// a nonce that works.
    fn mined_child(engine: &PowConsensus, parent: &Header, elapsed: u64) -> Header {
        let timestamp_ms = parent.timestamp_ms + elapsed;
        let mut header = Header {
            parent_hash: parent.hash(),
            number: parent.number + 1,
            timestamp: timestamp_ms / 1000,
            timestamp_ms,
            gas_limit: parent.gas_limit,
            base_fee: next_base_fee(parent),
            difficulty: engine.difficulty(parent, timestamp_ms),
            ..Default::default()
        };
        let difficulty = header.difficulty.expect("pow");
        let nonce =
            search(header.hash(), difficulty, 0..u64::MAX, &AtomicBool::new(false)).expect("found");
        header.seal = seal(nonce);
        header
    }

    #[test]
    fn a_mined_header_verifies_and_its_nonce_shows() {
        let engine = engine();
        let parent = parent();
        let child = mined_child(&engine, &parent, 300);
        engine.validate_header(&NoSets, &parent, &child).expect("valid");
        assert!(nonce_of(&child).is_some());
        assert!(child.difficulty > parent.difficulty, "a block faster than 1 s raises it");
    }

    #[test]
    fn a_wrong_difficulty_a_short_seal_or_too_little_work_is_refused() {
        let engine = engine();
        let parent = parent();
        let child = mined_child(&engine, &parent, 1_000);
        let easier = Header { difficulty: Some(U256::from(1)), ..child.clone() };
        assert!(matches!(
            engine.validate_header(&NoSets, &parent, &easier),
            Err(ConsensusError::Difficulty { number: 8, .. })
        ));
        let short = Header { seal: Bytes::from_static(&[1; 7]), ..child.clone() };
        assert!(matches!(
            engine.validate_header(&NoSets, &parent, &short),
            Err(ConsensusError::NonceLength { number: 8, len: 7 })
        ));
        let difficulty = child.difficulty.expect("pow");
        let failing =
            (0..).find(|nonce| !meets(child.hash(), *nonce, difficulty)).expect("most nonces fail");
        let lazy = Header { seal: seal(failing), ..child };
        assert!(matches!(
            engine.validate_header(&NoSets, &parent, &lazy),
            Err(ConsensusError::InsufficientWork { number: 8, .. })
        ));
    }

    #[test]
    fn work_exists_exactly_where_the_parent_has_it() {
        let engine = engine();
        let workless = Header { difficulty: None, ..parent() };
        let child = Header { difficulty: None, ..mined_child(&engine, &parent(), 1_000) };
        let child = Header { parent_hash: workless.hash(), ..child };
        assert!(matches!(
            engine.validate_header(&NoSets, &workless, &child),
            Err(ConsensusError::Difficulty { got: None, expected: None, .. })
        ));
        // A dev chain refuses a header that carries work.
        let dev = DevConsensus::new(Address::ZERO);
        let dev_child =
            Header { seal: Bytes::new(), difficulty: Some(U256::from(9)), ..child.clone() };
        assert!(matches!(
            dev.validate_header(&NoSets, &workless, &dev_child),
            Err(ConsensusError::Difficulty { got: Some(_), expected: None, .. })
        ));
    }

    #[test]
    fn finality_lags_the_head_by_the_confirmations() {
        let engine = engine();
        assert_eq!(engine.finality(100), Finality { safe: 94, finalized: 88 });
        assert_eq!(engine.finality(3), Finality { safe: 0, finalized: 0 });
    }
}
