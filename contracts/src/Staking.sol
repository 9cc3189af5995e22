// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IValidatorSetSource} from "./IValidatorSetSource.sol";

/// @title Cairn's proof-of-stake system contract, at 0x0000000000000000000000000000000000001000.
/// @notice Validators register a consensus key with a self-stake, holders delegate to them, and
/// at each epoch end the node asks this contract for the next validator set (the top
/// `maxValidators` eligible validators by stake). Rewards, downtime and double-sign slashing are
/// applied by the node through system calls from revm's SYSTEM_ADDRESS, which no account can
/// send from. Everything is ordinary EVM state, so any Ethereum tool can read it.
/// @dev Stake is held per validator as a pool of tokens and shares (Cosmos x/staking), so a
/// slash is one write to the pool and never a loop over delegators. Unbonding stake sits in
/// share-based pools per (validator, start epoch), so a slash reaches exactly the stake that
/// counted at the infraction. Rewards use a reward-per-share accumulator with every rounding
/// remainder kept in storage, so the accounting identities hold to the wei. Every loop is
/// bounded by a parameter the chain spec limits, so a system call cannot run out of gas.
contract Staking is IValidatorSetSource {
    /// revm's SYSTEM_ADDRESS: the caller of the node's protocol calls. Nobody holds its key.
    address constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    /// Bumped when the ABI changes incompatibly; the node refuses a chain that answers another.
    uint256 constant ABI_VERSION = 1;
    /// Fixed point of the reward-per-share accumulator.
    uint256 constant SCALE = 1e18;
    uint16 constant MAX_BPS = 10_000;
    /// Commission moves at most one percentage point per epoch, so delegators can leave first.
    uint16 constant MAX_COMMISSION_STEP_BPS = 100;
    /// Per delegator; entries of one validator started in one epoch merge.
    uint256 constant MAX_UNBONDING_ENTRIES = 32;
    /// Validators one delegator may hold positions with.
    uint256 constant MAX_DELEGATIONS = 32;
    /// secp256k1 n/2: signatures with a larger s are refused, as k256 refuses them natively.
    uint256 constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// The secp256k1 field prime.
    uint256 constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;

    /// Chain parameters, set once from the chain spec by the constructor.
    struct Params {
        uint256 powerReduction; // wei per unit of voting power
        uint256 minSelfStake; // wei the operator must keep bonded
        // The chain spec must bound these two: every loop of endBlock and endEpoch runs over
        // them. Measured with 500 candidates and a set of 200, endEpoch takes about 19M gas
        // and endBlock at most 17.5M of revm's 30M system-call budget.
        uint32 maxValidators;
        uint32 maxCandidates;
        uint64 unbondingEpochs; // also bounds the unbonding pools one slash visits
        uint64 signedBlocksWindow; // bitmap words cleared on a jail: window / 256
        uint64 minSignedPerWindow; // blocks of the window a validator must sign
        uint64 downtimeJailBlocks;
        uint16 slashDoubleSignBps;
        uint16 slashDowntimeBps;
    }

    /// What the constructor takes: `Params` with the minimum signed share in basis points.
    struct InitParams {
        uint256 powerReduction;
        uint256 minSelfStake;
        uint32 maxValidators;
        uint32 maxCandidates;
        uint64 unbondingEpochs;
        uint64 signedBlocksWindow;
        uint16 minSignedPerWindowBps;
        uint64 downtimeJailBlocks;
        uint16 slashDoubleSignBps;
        uint16 slashDowntimeBps;
    }

    /// A validator of the chain spec: registered without a proof of possession (the spec is trusted).
    struct GenesisValidator {
        bytes publicKey;
        address operator;
        uint256 stake;
        uint16 commissionBps;
    }

    struct Validator {
        address operator;
        uint16 commissionBps; // in force
        uint16 pendingCommissionBps; // takes force at the next epoch boundary
        uint64 commissionRequestEpoch; // epoch the pending commission takes force in (0 = none)
        bytes32 keyX; // x of the consensus key
        uint8 keyPrefix; // 0x02 or 0x03, the SEC1 compressed prefix
        bool exists;
        bool jailed;
        bool tombstoned;
        uint64 jailedUntil; // block from which unjail() is allowed
        uint64 windowCounter; // blocks tracked since entering the set or unjailing
        uint64 missedInWindow; // misses among the last min(windowCounter, window) tracked blocks
        uint256 tokens; // bonded wei
        uint256 shares; // delegation shares outstanding
        uint256 accRewardPerShare; // delegator reward per share since registration, x SCALE
        uint256 rewardCarryScaled; // remainder of the last per-share division (< shares)
        uint256 commissionOwed; // operator's unclaimed commission
    }

    struct Delegation {
        uint256 shares;
        uint256 debtScaled; // shares x accRewardPerShare at the last settlement
        uint256 fractionScaled; // sub-wei reward carried to the next settlement
        uint256 owed; // settled, unclaimed reward in wei
    }

    struct UnbondingEntry {
        address validator;
        uint64 startEpoch;
        uint256 poolShares;
    }

    struct Pool {
        uint256 tokens;
        uint256 shares;
    }

    struct SetMember {
        address validator;
        uint64 power;
    }

    /// Status precedence: tombstoned, jailed, unbonding (operator bond below the minimum),
    /// active (in the current set), candidate.
    enum Status {
        Candidate,
        Active,
        Jailed,
        Tombstoned,
        Unbonding
    }

    struct ValidatorInfo {
        address validator;
        address operator;
        bytes publicKey;
        Status status;
        uint256 selfStake;
        uint256 totalStake;
        uint256 totalShares;
        uint16 commissionBps;
        uint16 pendingCommissionBps;
        uint64 jailedUntil;
        uint64 missedInWindow;
        uint64 windowCounter;
        uint64 power; // in the current epoch's set, 0 if not a member
        uint256 commissionOwed;
    }

    struct DelegationInfo {
        address validator;
        uint256 shares;
        uint256 stake;
        uint256 pendingRewards;
        uint256 fractionScaled;
    }

    struct UnbondingInfo {
        address validator;
        uint256 amount;
        uint64 startEpoch;
        uint64 completionEpoch;
        bool withdrawable;
    }

    /// Totals that let anyone check the contract's books: balance = held + bonded + unbonding
    /// + burned + surplus, and surplus is only ether forced in without a call.
    struct RewardAccounting {
        uint256 pot;
        uint256 delegatorRewardsCredited;
        uint256 commissionCredited;
        uint256 claimed;
        uint256 held;
        uint256 bonded;
        uint256 unbonding;
        uint256 burned;
        uint256 surplus;
    }

    /// One signed vote or proposal of double-sign evidence. `polRound` < 0 is nil; it only
    /// matters for proposals.
    struct SignedMessage {
        bool isNil;
        bytes32 value;
        int64 polRound;
        bytes32 r;
        bytes32 s;
    }

    /// Two conflicting signed messages of one validator at one height and round.
    struct DoubleSign {
        uint8 kind; // 0 prevote, 1 precommit, 2 proposal
        uint64 height;
        uint32 round;
        address validator;
        uint64 epoch; // epoch of `height`, checked against epochStarts
        SignedMessage first;
        SignedMessage second;
    }

    Params internal config;
    /// The epoch of the block being executed.
    uint64 public currentEpoch;
    bool internal locked;
    /// Reward wei waiting for signers (carried over blocks that had none).
    uint256 internal rewardPot;
    uint256 internal totalBonded;
    uint256 internal totalUnbonding;
    /// Wei credited as rewards or commission (the pot included) and not yet claimed.
    uint256 internal rewardsHeld;
    /// Slashed wei: stays in the contract forever, no account can receive it.
    uint256 internal totalBurned;
    uint256 internal delegatorRewardsCredited;
    uint256 internal commissionCredited;
    uint256 internal rewardsClaimed;
    /// Sub-wei reward fractions of closed delegations, x SCALE.
    uint256 internal closedDustScaled;
    /// First height of each epoch (index = epoch).
    uint64[] internal epochStarts;
    /// Registered validators that are not tombstoned and hold stake or sit in the current set.
    address[] internal candidates;
    mapping(address => uint256) internal candidatePosition; // 1-based
    mapping(address => Validator) internal validatorRecords;
    mapping(address => address) internal validatorOf; // operator => consensus address
    mapping(address => mapping(address => Delegation)) internal delegations; // delegator => validator
    mapping(address => address[]) internal delegatedTo;
    mapping(address => UnbondingEntry[]) internal unbondings;
    mapping(address => mapping(uint64 => Pool)) internal unbondingPools; // validator => start epoch
    mapping(uint64 => SetMember[]) internal sets; // epoch => members sorted by address
    mapping(uint64 => uint256) internal setTotalPower;
    mapping(address => mapping(uint256 => uint256)) internal missedBits; // validator => word => bits

    event ValidatorRegistered(
        address indexed validator, address indexed operator, bytes publicKey, uint256 selfStake, uint16 commissionBps
    );
    event Delegated(address indexed delegator, address indexed validator, uint256 amount, uint256 shares);
    event Undelegated(
        address indexed delegator, address indexed validator, uint256 amount, uint256 shares, uint64 completionEpoch
    );
    event Withdrawn(address indexed delegator, uint256 amount);
    event RewardsClaimed(address indexed delegator, address indexed validator, uint256 amount);
    event CommissionChangeScheduled(address indexed validator, uint16 commissionBps, uint64 effectiveEpoch);
    event CommissionChanged(address indexed validator, uint16 commissionBps, uint64 epoch);
    event Jailed(address indexed validator, uint64 untilBlock, uint64 missedInWindow);
    event Unjailed(address indexed validator);
    /// reason 0: double sign, 1: downtime.
    event Slashed(
        address indexed validator,
        uint8 reason,
        uint64 infractionHeight,
        uint256 bondedSlashed,
        uint256 unbondingSlashed
    );
    event Tombstoned(address indexed validator);
    event BlockRewarded(uint64 indexed height, uint256 pot, uint256 signedPower);
    event EpochStarted(uint64 indexed epoch, uint64 firstHeight, uint256 validators, uint256 totalPower);
    /// No validator was eligible: the previous set carries over, so the chain never has none.
    event ValidatorSetKept(uint64 indexed epoch);

    error BelowMinimumSelfStake(uint256 amount, uint256 minimum);
    error CommissionTooHigh(uint16 commissionBps);
    error CommissionStepTooLarge(uint16 current, uint16 requested, uint16 maxStep);
    error CommissionAlreadyChangedThisEpoch(uint64 epoch);
    error OperatorAlreadyHasValidator(address operator, address validator);
    error InvalidPublicKey(uint256 length);
    error PublicKeyNotOnCurve();
    error KeyAlreadyRegistered(address validator);
    error InvalidProofOfPossession();
    error CandidateListFull(uint256 maximum);
    error UnknownValidator(address validator);
    error ValidatorIsTombstoned(address validator);
    error ValidatorPoolEmpty(address validator);
    error ZeroAmount();
    error AmountTooSmall(uint256 amount);
    error InsufficientStake(uint256 available, uint256 requested);
    error TooManyDelegations(uint256 maximum);
    error TooManyUnbondingEntries(uint256 maximum);
    error NothingToWithdraw(uint64 nextCompletionEpoch);
    error NothingToClaim();
    error NotAnOperator(address caller);
    error NotJailed(address validator);
    error StillJailed(uint64 untilBlock);
    error TransferFailed(address to, uint256 amount);
    error Reentrant();
    error NoDirectTransfers();
    error UnknownFunction(bytes4 selector);
    error UnknownEpoch(uint64 epoch);
    error OnlySystem(address caller);
    error BadSignerBitmap();
    error UnknownMessageKind(uint8 kind);
    error EvidenceFromTheFuture(uint64 height);
    error WrongEvidenceEpoch(uint64 height, uint64 epoch);
    error EvidenceTooOld(uint64 infractionEpoch, uint64 currentEpoch);
    error NotInSet(address validator, uint64 height);
    error NotConflicting();
    error BadEvidenceSignature(uint8 which);
    /// Genesis only: parameters that would make a protocol call divide by zero or overflow.
    error InvalidParams();
    /// Genesis only: the value sent is not the sum of the genesis stakes.
    error GenesisValueMismatch(uint256 value, uint256 stakes);
    /// Genesis only: no genesis validator is eligible, so there would be no set to sign block 1.
    error NoEligibleGenesisValidator();

    modifier onlySystem() {
        if (msg.sender != SYSTEM) revert OnlySystem(msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (locked) revert Reentrant();
        locked = true;
        _;
        locked = false;
    }

    /// @notice Genesis: stores the spec's parameters, registers and bonds the spec's validators
    /// and makes epoch 0's set by the same rule every later epoch uses. The node runs this once
    /// in revm to produce the contract's genesis account; it never reads address(this), so that
    /// state can be placed at 0x…1000.
    constructor(InitParams memory p, GenesisValidator[] memory gs) payable {
        if (
            p.powerReduction == 0 || p.maxValidators == 0 || p.maxCandidates < p.maxValidators
                || p.signedBlocksWindow == 0 || p.minSignedPerWindowBps > MAX_BPS
                || p.slashDoubleSignBps > MAX_BPS || p.slashDowntimeBps > MAX_BPS || gs.length > p.maxCandidates
        ) revert InvalidParams();
        config = Params({
            powerReduction: p.powerReduction,
            minSelfStake: p.minSelfStake,
            maxValidators: p.maxValidators,
            maxCandidates: p.maxCandidates,
            unbondingEpochs: p.unbondingEpochs,
            signedBlocksWindow: p.signedBlocksWindow,
            minSignedPerWindow: uint64(uint256(p.signedBlocksWindow) * p.minSignedPerWindowBps / MAX_BPS),
            downtimeJailBlocks: p.downtimeJailBlocks,
            slashDoubleSignBps: p.slashDoubleSignBps,
            slashDowntimeBps: p.slashDowntimeBps
        });
        uint256 stakes;
        for (uint256 i; i < gs.length; ++i) {
            GenesisValidator memory g = gs[i];
            (uint8 prefix, bytes32 x, address validator) = _parseKey(g.publicKey);
            _register(validator, g.operator, prefix, x, g.commissionBps, g.stake);
            stakes += g.stake;
        }
        if (msg.value != stakes) revert GenesisValueMismatch(msg.value, stakes);
        SetMember[] memory chosen = _select();
        if (chosen.length == 0) revert NoEligibleGenesisValidator();
        _writeSet(0, chosen);
        epochStarts.push(1);
    }

    // ---------------------------------------------------------------- user functions

    /// @notice Registers the consensus key `consensusPublicKey` (33-byte compressed or 64-byte
    /// x‖y secp256k1) as a validator operated by the sender, bonding `msg.value` as self-stake.
    /// @param proofOfPossession 64-byte (r, s) low-s signature by the consensus key of
    /// `popDigest(msg.sender)`, so nobody can register a key they do not hold.
    /// @return validator the consensus address (the key's Ethereum address)
    function registerValidator(bytes calldata consensusPublicKey, bytes calldata proofOfPossession, uint16 commissionBps)
        external
        payable
        nonReentrant
        returns (address validator)
    {
        if (msg.value < config.minSelfStake) revert BelowMinimumSelfStake(msg.value, config.minSelfStake);
        if (commissionBps > MAX_BPS) revert CommissionTooHigh(commissionBps);
        address existing = validatorOf[msg.sender];
        if (existing != address(0)) revert OperatorAlreadyHasValidator(msg.sender, existing);
        uint8 prefix;
        bytes32 x;
        (prefix, x, validator) = _parseKey(consensusPublicKey);
        if (validatorRecords[validator].exists) revert KeyAlreadyRegistered(validator);
        if (proofOfPossession.length != 64) revert InvalidProofOfPossession();
        if (!_signedBy(popDigest(msg.sender), bytes32(proofOfPossession[0:32]), bytes32(proofOfPossession[32:64]), validator)) {
            revert InvalidProofOfPossession();
        }
        if (candidates.length >= config.maxCandidates) revert CandidateListFull(config.maxCandidates);
        _register(validator, msg.sender, prefix, x, commissionBps, msg.value);
    }

    /// @notice Bonds `msg.value` to `validator` (its consensus address). Counts from the next
    /// epoch's set on.
    function delegate(address validator) external payable nonReentrant {
        if (msg.value == 0) revert ZeroAmount();
        Validator storage v = _known(validator);
        if (v.tombstoned) revert ValidatorIsTombstoned(validator);
        _delegate(msg.sender, validator, msg.value);
    }

    /// @notice Starts unbonding `amount` wei of the sender's stake with `validator`. It stays
    /// slashable for `unbondingEpochs` more epochs, then `withdraw()` pays it.
    function undelegate(address validator, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Validator storage v = _known(validator);
        Delegation storage d = delegations[msg.sender][validator];
        uint256 stake = v.shares == 0 ? 0 : d.shares * v.tokens / v.shares;
        if (amount > stake) revert InsufficientStake(stake, amount);
        _settle(d, v);
        // The leaver burns shares rounded up, so rounding favours those who stay.
        uint256 burn = amount == stake ? d.shares : _ceilDiv(amount * v.shares, v.tokens);
        v.tokens -= amount;
        v.shares -= burn;
        d.shares -= burn;
        d.debtScaled = d.shares * v.accRewardPerShare;
        totalBonded -= amount;
        totalUnbonding += amount;

        uint64 epoch = currentEpoch;
        Pool storage pool = unbondingPools[validator][epoch];
        uint256 poolShares = pool.shares == 0 ? amount : amount * pool.shares / pool.tokens;
        pool.tokens += amount;
        pool.shares += poolShares;
        UnbondingEntry[] storage entries = unbondings[msg.sender];
        uint256 n = entries.length;
        uint256 i;
        while (i < n && !(entries[i].validator == validator && entries[i].startEpoch == epoch)) ++i;
        if (i == n) {
            if (n >= MAX_UNBONDING_ENTRIES) revert TooManyUnbondingEntries(MAX_UNBONDING_ENTRIES);
            entries.push(UnbondingEntry({validator: validator, startEpoch: epoch, poolShares: poolShares}));
        } else {
            entries[i].poolShares += poolShares;
        }
        emit Undelegated(msg.sender, validator, amount, burn, epoch + config.unbondingEpochs + 1);
    }

    /// @notice Pays out every unbonding entry of the sender whose completion epoch has come.
    function withdraw() external nonReentrant returns (uint256 paid) {
        UnbondingEntry[] storage entries = unbondings[msg.sender];
        uint64 next;
        bool matured;
        uint256 i;
        while (i < entries.length) {
            UnbondingEntry memory e = entries[i];
            uint64 completion = e.startEpoch + config.unbondingEpochs + 1;
            if (completion > currentEpoch) {
                if (next == 0 || completion < next) next = completion;
                ++i;
                continue;
            }
            matured = true;
            Pool storage pool = unbondingPools[e.validator][e.startEpoch];
            uint256 value = e.poolShares * pool.tokens / pool.shares;
            pool.tokens -= value;
            pool.shares -= e.poolShares;
            totalUnbonding -= value;
            paid += value;
            entries[i] = entries[entries.length - 1];
            entries.pop();
            _closeIfDone(msg.sender, e.validator);
        }
        // A matured entry worth nothing (its pool slashed to zero) is still cleared.
        if (!matured) revert NothingToWithdraw(next);
        emit Withdrawn(msg.sender, paid);
        if (paid > 0) _pay(msg.sender, paid);
    }

    /// @notice Pays the sender's rewards from `validator`, and its commission if the sender is
    /// the operator.
    function claimRewards(address validator) external nonReentrant returns (uint256 paid) {
        Validator storage v = _known(validator);
        Delegation storage d = delegations[msg.sender][validator];
        _settle(d, v);
        paid = d.owed;
        d.owed = 0;
        if (msg.sender == v.operator) {
            paid += v.commissionOwed;
            v.commissionOwed = 0;
        }
        if (paid == 0) revert NothingToClaim();
        rewardsHeld -= paid;
        rewardsClaimed += paid;
        _closeIfDone(msg.sender, validator);
        emit RewardsClaimed(msg.sender, validator, paid);
        _pay(msg.sender, paid);
    }

    /// @notice Lets the sender's jailed validator back into the running once the jail time has
    /// passed; it can enter the set at the next epoch boundary.
    function unjail() external nonReentrant {
        address validator = _operated(msg.sender);
        Validator storage v = validatorRecords[validator];
        if (v.tombstoned) revert ValidatorIsTombstoned(validator);
        if (!v.jailed) revert NotJailed(validator);
        if (block.number < v.jailedUntil) revert StillJailed(v.jailedUntil);
        uint256 self = _stakeOf(msg.sender, v, validator);
        if (self < config.minSelfStake) revert BelowMinimumSelfStake(self, config.minSelfStake);
        v.jailed = false;
        _resetWindow(validator, v);
        emit Unjailed(validator);
    }

    /// @notice Schedules the sender's validator's commission for the next epoch; it moves at
    /// most one percentage point per epoch and once per epoch.
    function setCommission(uint16 commissionBps) external nonReentrant {
        address validator = _operated(msg.sender);
        Validator storage v = validatorRecords[validator];
        if (v.tombstoned) revert ValidatorIsTombstoned(validator);
        if (commissionBps > MAX_BPS) revert CommissionTooHigh(commissionBps);
        uint16 current = v.commissionBps;
        uint16 step = commissionBps > current ? commissionBps - current : current - commissionBps;
        if (step > MAX_COMMISSION_STEP_BPS) {
            revert CommissionStepTooLarge(current, commissionBps, MAX_COMMISSION_STEP_BPS);
        }
        uint64 effective = currentEpoch + 1;
        if (v.commissionRequestEpoch == effective) revert CommissionAlreadyChangedThisEpoch(currentEpoch);
        v.pendingCommissionBps = commissionBps;
        v.commissionRequestEpoch = effective;
        emit CommissionChangeScheduled(validator, commissionBps, effective);
    }

    receive() external payable {
        revert NoDirectTransfers();
    }

    fallback() external payable {
        revert UnknownFunction(msg.sig);
    }

    // ---------------------------------------------------------------- protocol functions

    /// @notice Slashes and tombstones a validator that signed two conflicting messages at one
    /// height and round, after re-verifying both signatures. Put on chain by the block proposer.
    function slashDoubleSign(DoubleSign calldata e) external onlySystem {
        if (e.kind > 2) revert UnknownMessageKind(e.kind);
        if (e.height >= block.number) revert EvidenceFromTheFuture(e.height);
        uint64 epoch = e.epoch;
        if (
            epoch > currentEpoch || epochStarts[epoch] > e.height
                || (epoch < currentEpoch && e.height >= epochStarts[epoch + 1])
        ) revert WrongEvidenceEpoch(e.height, epoch);
        if (currentEpoch > epoch + config.unbondingEpochs) revert EvidenceTooOld(epoch, currentEpoch);
        Validator storage v = _known(e.validator);
        if (v.tombstoned) revert ValidatorIsTombstoned(e.validator);
        (bool member,) = _memberIndex(epoch, e.validator);
        if (!member) revert NotInSet(e.validator, e.height);
        bytes32 first = _evidenceDigest(e, e.first);
        bytes32 second = _evidenceDigest(e, e.second);
        if (first == second || (e.kind == 2 && (e.first.isNil || e.second.isNil))) revert NotConflicting();
        if (!_signedBy(first, e.first.r, e.first.s, e.validator)) revert BadEvidenceSignature(0);
        if (!_signedBy(second, e.second.r, e.second.s, e.validator)) revert BadEvidenceSignature(1);
        _slash(e.validator, v, config.slashDoubleSignBps, epoch, 0, e.height);
        v.tombstoned = true;
        v.jailed = true;
        v.jailedUntil = type(uint64).max;
        emit Tombstoned(e.validator);
    }

    /// @notice Pays block `block.number`'s `reward` (issuance plus priority fees, already in
    /// this contract's balance) to the signers of the previous block's certificate, and tracks
    /// who missed it.
    /// @param signed bitmap over the members of the set that signed the previous block, in
    /// address order (bit i is byte i/8, mask 1 << (i % 8)); empty for block 1
    function endBlock(bytes calldata signed, uint256 reward) external onlySystem {
        rewardsHeld += reward;
        uint256 pot = rewardPot + reward;
        if (block.number <= 1) {
            if (signed.length != 0) revert BadSignerBitmap();
            rewardPot = pot;
            return;
        }
        uint64 prevEpoch =
            (currentEpoch > 0 && block.number == epochStarts[currentEpoch]) ? currentEpoch - 1 : currentEpoch;
        SetMember[] storage members = sets[prevEpoch];
        uint256 n = members.length;
        if (signed.length != (n + 7) / 8) revert BadSignerBitmap();
        if (n % 8 != 0 && uint8(signed[n / 8]) >> (n % 8) != 0) revert BadSignerBitmap();

        uint256 signedPower;
        uint256 first = n;
        for (uint256 i; i < n; ++i) {
            if (_bit(signed, i)) {
                signedPower += members[i].power;
                if (first == n) first = i;
            }
        }
        if (signedPower == 0) {
            rewardPot = pot;
        } else {
            uint256 given;
            for (uint256 i; i < n; ++i) {
                if (_bit(signed, i)) given += pot * members[i].power / signedPower;
            }
            for (uint256 i; i < n; ++i) {
                if (!_bit(signed, i)) continue;
                uint256 share = pot * members[i].power / signedPower;
                // The rounding remainder goes to the lowest-address signer, so the pot empties.
                if (i == first) share += pot - given;
                _reward(members[i].validator, share);
            }
            rewardPot = 0;
        }
        for (uint256 i; i < n; ++i) {
            _track(members[i].validator, _bit(signed, i), prevEpoch);
        }
        emit BlockRewarded(uint64(block.number), pot, signedPower);
    }

    /// @inheritdoc IValidatorSetSource
    /// @dev The next set is the top `maxValidators` of the eligible validators (not jailed, not
    /// tombstoned, operator bond at least `minSelfStake`, power at least 1) by (tokens desc,
    /// address asc), power = tokens / powerReduction. With none eligible the set is kept.
    function endEpoch()
        external
        onlySystem
        returns (address[] memory validators, bytes[] memory publicKeys, uint64[] memory powers)
    {
        uint64 e = currentEpoch;
        uint256 i;
        while (i < candidates.length) {
            address c = candidates[i];
            Validator storage v = validatorRecords[c];
            if (v.tombstoned || (v.tokens == 0 && !_isMember(e, c))) {
                _removeCandidate(c);
                continue;
            }
            if (v.commissionRequestEpoch == e + 1) {
                v.commissionBps = v.pendingCommissionBps;
                emit CommissionChanged(c, v.commissionBps, e + 1);
            }
            ++i;
        }
        SetMember[] memory chosen = _select();
        if (chosen.length == 0) {
            chosen = sets[e];
            emit ValidatorSetKept(e + 1);
        }
        _writeSet(e + 1, chosen);
        validators = new address[](chosen.length);
        publicKeys = new bytes[](chosen.length);
        powers = new uint64[](chosen.length);
        // Both sets are sorted by address: one merge walk finds the newcomers.
        SetMember[] storage old = sets[e];
        uint256 j;
        for (uint256 k; k < chosen.length; ++k) {
            address a = chosen[k].validator;
            while (j < old.length && old[j].validator < a) ++j;
            if (j == old.length || old[j].validator != a) _resetWindow(a, validatorRecords[a]);
            validators[k] = a;
            publicKeys[k] = _publicKey(validatorRecords[a]);
            powers[k] = chosen[k].power;
        }
        currentEpoch = e + 1;
        epochStarts.push(uint64(block.number) + 1);
        emit EpochStarted(e + 1, uint64(block.number) + 1, chosen.length, setTotalPower[e + 1]);
    }

    // ---------------------------------------------------------------- views

    /// @notice 1 for this ABI; the node refuses a chain whose contract answers another.
    function abiVersion() external pure returns (uint256) {
        return ABI_VERSION;
    }

    /// @notice The chain's staking parameters, as the spec set them at genesis.
    function params() external view returns (Params memory) {
        return config;
    }

    /// @notice First height of `epoch`.
    function epochStart(uint64 epoch) external view returns (uint64) {
        if (epoch >= epochStarts.length) revert UnknownEpoch(epoch);
        return epochStarts[epoch];
    }

    /// @notice Everything a wallet shows about one validator.
    function validatorInfo(address validatorAddress) public view returns (ValidatorInfo memory info) {
        Validator storage v = _known(validatorAddress);
        (bool member, uint256 index) = _memberIndex(currentEpoch, validatorAddress);
        info.validator = validatorAddress;
        info.operator = v.operator;
        info.publicKey = _publicKey(v);
        info.status = _status(validatorAddress, v);
        info.selfStake = _stakeOf(v.operator, v, validatorAddress);
        info.totalStake = v.tokens;
        info.totalShares = v.shares;
        info.commissionBps = v.commissionBps;
        info.pendingCommissionBps = v.commissionRequestEpoch > currentEpoch ? v.pendingCommissionBps : v.commissionBps;
        info.jailedUntil = v.jailedUntil;
        info.missedInWindow = v.missedInWindow;
        info.windowCounter = v.windowCounter;
        info.power = member ? sets[currentEpoch][index].power : 0;
        info.commissionOwed = v.commissionOwed;
    }

    /// @notice Every candidate, then every member of the current set that is no longer one.
    function listValidators() external view returns (ValidatorInfo[] memory infos) {
        SetMember[] storage members = sets[currentEpoch];
        uint256 extra;
        for (uint256 i; i < members.length; ++i) {
            if (candidatePosition[members[i].validator] == 0) ++extra;
        }
        infos = new ValidatorInfo[](candidates.length + extra);
        uint256 k;
        for (; k < candidates.length; ++k) {
            infos[k] = validatorInfo(candidates[k]);
        }
        for (uint256 i; i < members.length; ++i) {
            if (candidatePosition[members[i].validator] == 0) infos[k++] = validatorInfo(members[i].validator);
        }
    }

    /// @notice The set signing the current epoch, sorted by address.
    function activeSet() external view returns (uint64 epoch, SetMember[] memory members, uint256 totalPower) {
        epoch = currentEpoch;
        members = sets[epoch];
        totalPower = setTotalPower[epoch];
    }

    /// @notice The set of `epoch`, sorted by address.
    function validatorSet(uint64 epoch) external view returns (SetMember[] memory) {
        if (epoch > currentEpoch) revert UnknownEpoch(epoch);
        return sets[epoch];
    }

    /// @notice What `endEpoch` would choose if the epoch ended now (empty: the set would be kept).
    function projectedSet() external view returns (SetMember[] memory) {
        return _select();
    }

    /// @notice One delegator's position with one validator.
    function delegation(address delegator, address validatorAddress) public view returns (DelegationInfo memory info) {
        Validator storage v = validatorRecords[validatorAddress];
        Delegation storage d = delegations[delegator][validatorAddress];
        info.validator = validatorAddress;
        info.shares = d.shares;
        info.stake = _stakeOf(delegator, v, validatorAddress);
        uint256 accrued = _accruedScaled(d, v);
        info.pendingRewards = d.owed + accrued / SCALE;
        info.fractionScaled = accrued % SCALE;
    }

    /// @notice All of one delegator's positions and unbonding entries.
    function delegationsOf(address delegator)
        external
        view
        returns (DelegationInfo[] memory positions, UnbondingInfo[] memory entries)
    {
        address[] storage to = delegatedTo[delegator];
        positions = new DelegationInfo[](to.length);
        for (uint256 i; i < to.length; ++i) {
            positions[i] = delegation(delegator, to[i]);
        }
        UnbondingEntry[] storage es = unbondings[delegator];
        entries = new UnbondingInfo[](es.length);
        for (uint256 i; i < es.length; ++i) {
            UnbondingEntry storage e = es[i];
            Pool storage pool = unbondingPools[e.validator][e.startEpoch];
            uint64 completion = e.startEpoch + config.unbondingEpochs + 1;
            entries[i] = UnbondingInfo({
                validator: e.validator,
                amount: e.poolShares * pool.tokens / pool.shares,
                startEpoch: e.startEpoch,
                completionEpoch: completion,
                withdrawable: completion <= currentEpoch
            });
        }
    }

    /// @notice Reward wei `delegator` could claim from `validator` now (commission excluded).
    function pendingRewards(address delegator, address validatorAddress) external view returns (uint256) {
        Delegation storage d = delegations[delegator][validatorAddress];
        return d.owed + _accruedScaled(d, validatorRecords[validatorAddress]) / SCALE;
    }

    /// @notice The contract's books.
    function rewardAccounting() external view returns (RewardAccounting memory a) {
        a.pot = rewardPot;
        a.delegatorRewardsCredited = delegatorRewardsCredited;
        a.commissionCredited = commissionCredited;
        a.claimed = rewardsClaimed;
        a.held = rewardsHeld;
        a.bonded = totalBonded;
        a.unbonding = totalUnbonding;
        a.burned = totalBurned;
        a.surplus = address(this).balance - rewardsHeld - totalBonded - totalUnbonding - totalBurned;
    }

    /// @notice Sub-wei reward fractions of closed positions, x 1e18 (part of the exact books).
    function closedDust() external view returns (uint256) {
        return closedDustScaled;
    }

    /// @notice The reward-per-share accumulator of a validator and its division remainder, both
    /// x 1e18, so the exact reward identities can be checked from outside.
    function rewardState(address validatorAddress) external view returns (uint256 accRewardPerShare, uint256 carryScaled) {
        Validator storage v = _known(validatorAddress);
        return (v.accRewardPerShare, v.rewardCarryScaled);
    }

    /// @notice What a consensus key signs (with Cairn's consensus signing domain rule) to be
    /// registered for `operator` on this chain: keccak256("cairn/staking-pop/1" ‖ chain id as
    /// 8 bytes big-endian ‖ operator).
    function popDigest(address operator) public view returns (bytes32) {
        return keccak256(abi.encodePacked("cairn/staking-pop/1", uint64(block.chainid), operator));
    }

    /// @notice The digest a validator signs for a vote (Cairn's `Vote::signing_hash`).
    /// @param voteType 0 prevote, 1 precommit
    function voteDigest(uint8 voteType, uint64 height, uint32 round, bool isNil, bytes32 value, address validatorAddress)
        public
        view
        returns (bytes32)
    {
        bytes memory v = isNil ? bytes(hex"00") : abi.encodePacked(uint8(1), value);
        return keccak256(
            abi.encodePacked(
                "cairn/vote/2",
                uint64(block.chainid),
                voteType,
                _le64(height),
                uint8(1),
                _le32(round),
                v,
                validatorAddress
            )
        );
    }

    /// @notice The digest a proposer signs for a proposal (Cairn's `Proposal::signing_hash`).
    /// @param polRound negative for nil
    function proposalDigest(uint64 height, uint32 round, bytes32 value, int64 polRound, address validatorAddress)
        public
        view
        returns (bytes32)
    {
        bytes memory pol = polRound < 0 ? bytes(hex"00") : abi.encodePacked(uint8(1), _le32(uint32(uint64(polRound))));
        return keccak256(
            abi.encodePacked(
                "cairn/proposal/2",
                uint64(block.chainid),
                _le64(height),
                uint8(1),
                _le32(round),
                value,
                pol,
                validatorAddress
            )
        );
    }

    // ---------------------------------------------------------------- internals: stake

    function _register(address validator, address operator, uint8 prefix, bytes32 x, uint16 commissionBps, uint256 stake)
        internal
    {
        Validator storage v = validatorRecords[validator];
        if (v.exists) revert KeyAlreadyRegistered(validator);
        if (validatorOf[operator] != address(0)) revert OperatorAlreadyHasValidator(operator, validatorOf[operator]);
        if (commissionBps > MAX_BPS) revert CommissionTooHigh(commissionBps);
        v.exists = true;
        v.operator = operator;
        v.keyPrefix = prefix;
        v.keyX = x;
        v.commissionBps = commissionBps;
        v.pendingCommissionBps = commissionBps;
        validatorOf[operator] = validator;
        candidates.push(validator);
        candidatePosition[validator] = candidates.length;
        emit ValidatorRegistered(validator, operator, _publicKey(v), stake, commissionBps);
        _delegate(operator, validator, stake);
    }

    function _delegate(address delegator, address validator, uint256 amount) internal {
        Validator storage v = validatorRecords[validator];
        if (v.tokens == 0 && v.shares > 0) revert ValidatorPoolEmpty(validator);
        Delegation storage d = delegations[delegator][validator];
        _settle(d, v);
        uint256 newShares = v.shares == 0 ? amount : amount * v.shares / v.tokens;
        if (newShares == 0) revert AmountTooSmall(amount);
        if (!_hasPosition(delegator, validator)) {
            if (delegatedTo[delegator].length >= MAX_DELEGATIONS) revert TooManyDelegations(MAX_DELEGATIONS);
            delegatedTo[delegator].push(validator);
        }
        v.tokens += amount;
        v.shares += newShares;
        d.shares += newShares;
        d.debtScaled = d.shares * v.accRewardPerShare;
        totalBonded += amount;
        if (candidatePosition[validator] == 0 && !v.tombstoned) {
            // A validator dropped from the list when its stake reached zero comes back with stake.
            if (candidates.length >= config.maxCandidates) revert CandidateListFull(config.maxCandidates);
            candidates.push(validator);
            candidatePosition[validator] = candidates.length;
        }
        emit Delegated(delegator, validator, amount, newShares);
    }

    /// Moves a delegation's accrued reward into `owed`, keeping the sub-wei part.
    function _settle(Delegation storage d, Validator storage v) internal {
        uint256 accrued = _accruedScaled(d, v);
        d.owed += accrued / SCALE;
        d.fractionScaled = accrued % SCALE;
        d.debtScaled = d.shares * v.accRewardPerShare;
    }

    function _accruedScaled(Delegation storage d, Validator storage v) internal view returns (uint256) {
        return d.shares * v.accRewardPerShare - d.debtScaled + d.fractionScaled;
    }

    /// Drops a position that holds nothing any more (no shares, no owed reward, no unbonding
    /// entry), so the delegator's list stays bounded; its sub-wei fraction goes to the books.
    function _closeIfDone(address delegator, address validator) internal {
        Delegation storage d = delegations[delegator][validator];
        if (d.shares != 0 || d.owed != 0) return;
        UnbondingEntry[] storage entries = unbondings[delegator];
        for (uint256 i; i < entries.length; ++i) {
            if (entries[i].validator == validator) return;
        }
        address[] storage to = delegatedTo[delegator];
        for (uint256 i; i < to.length; ++i) {
            if (to[i] == validator) {
                to[i] = to[to.length - 1];
                to.pop();
                closedDustScaled += d.fractionScaled;
                delete delegations[delegator][validator];
                return;
            }
        }
    }

    function _hasPosition(address delegator, address validator) internal view returns (bool) {
        address[] storage to = delegatedTo[delegator];
        for (uint256 i; i < to.length; ++i) {
            if (to[i] == validator) return true;
        }
        return false;
    }

    function _stakeOf(address delegator, Validator storage v, address validator) internal view returns (uint256) {
        if (v.shares == 0) return 0;
        return delegations[delegator][validator].shares * v.tokens / v.shares;
    }

    function _removeCandidate(address c) internal {
        uint256 position = candidatePosition[c];
        address last = candidates[candidates.length - 1];
        candidates[position - 1] = last;
        candidatePosition[last] = position;
        candidates.pop();
        delete candidatePosition[c];
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _pay(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    function _known(address validator) internal view returns (Validator storage v) {
        v = validatorRecords[validator];
        if (!v.exists) revert UnknownValidator(validator);
    }

    function _operated(address operator) internal view returns (address validator) {
        validator = validatorOf[operator];
        if (validator == address(0)) revert NotAnOperator(operator);
    }

    function _status(address validator, Validator storage v) internal view returns (Status) {
        if (v.tombstoned) return Status.Tombstoned;
        if (v.jailed) return Status.Jailed;
        if (_stakeOf(v.operator, v, validator) < config.minSelfStake) return Status.Unbonding;
        if (_isMember(currentEpoch, validator)) return Status.Active;
        return Status.Candidate;
    }

    // ---------------------------------------------------------------- internals: rewards, slashing

    function _reward(address validator, uint256 share) internal {
        Validator storage v = validatorRecords[validator];
        uint256 commission = share * v.commissionBps / MAX_BPS;
        uint256 rest = share - commission;
        // A pool with (almost) no stake would make reward per share explode: the operator takes all.
        if (v.shares == 0 || v.tokens < config.powerReduction) {
            commission += rest;
            rest = 0;
        }
        v.commissionOwed += commission;
        commissionCredited += commission;
        if (rest > 0) {
            uint256 x = rest * SCALE + v.rewardCarryScaled;
            v.accRewardPerShare += x / v.shares;
            v.rewardCarryScaled = x % v.shares;
            delegatorRewardsCredited += rest;
        }
    }

    /// Downtime: a ring of the last `signedBlocksWindow` tracked blocks; jail and slash when the
    /// misses exceed what the window allows (Cosmos x/slashing).
    function _track(address validator, bool signed, uint64 epoch) internal {
        Validator storage v = validatorRecords[validator];
        if (v.jailed || v.tombstoned) return;
        uint64 window = config.signedBlocksWindow;
        uint256 index = v.windowCounter % window;
        uint256 word = missedBits[validator][index / 256];
        uint256 mask = 1 << (index % 256);
        bool was = word & mask != 0;
        if (was != !signed) {
            missedBits[validator][index / 256] = word ^ mask;
            if (signed) v.missedInWindow -= 1;
            else v.missedInWindow += 1;
        }
        v.windowCounter += 1;
        if (v.windowCounter >= window && v.missedInWindow > window - config.minSignedPerWindow) {
            uint64 missed = v.missedInWindow;
            v.jailed = true;
            v.jailedUntil = uint64(block.number) + config.downtimeJailBlocks;
            _slash(validator, v, config.slashDowntimeBps, epoch, 1, uint64(block.number) - 1);
            _resetWindow(validator, v);
            emit Jailed(validator, v.jailedUntil, missed);
        }
    }

    function _resetWindow(address validator, Validator storage v) internal {
        v.windowCounter = 0;
        v.missedInWindow = 0;
        uint256 words = (uint256(config.signedBlocksWindow) + 255) / 256;
        for (uint256 w; w < words; ++w) {
            delete missedBits[validator][w];
        }
    }

    /// Takes `bps` of the stake that counted in the infraction epoch's set (the validator's
    /// power there times `powerReduction`, as Cosmos does): first `bps` of every unbonding pool
    /// started in that epoch or later, then the rest of the amount due from the bonded pool, so
    /// stake delegated after the epoch began pays nothing.
    function _slash(address validator, Validator storage v, uint16 bps, uint64 infractionEpoch, uint8 reason, uint64 height)
        internal
    {
        uint256 unbonding;
        for (uint64 s = infractionEpoch; s <= currentEpoch; ++s) {
            Pool storage pool = unbondingPools[validator][s];
            uint256 x = pool.tokens * bps / MAX_BPS;
            pool.tokens -= x;
            unbonding += x;
        }
        (bool member, uint256 index) = _memberIndex(infractionEpoch, validator);
        uint256 counted = member ? uint256(sets[infractionEpoch][index].power) * config.powerReduction : 0;
        uint256 due = counted * bps / MAX_BPS;
        uint256 bonded = due > unbonding ? due - unbonding : 0;
        if (bonded > v.tokens) bonded = v.tokens;
        v.tokens -= bonded;
        totalBonded -= bonded;
        totalUnbonding -= unbonding;
        totalBurned += bonded + unbonding;
        emit Slashed(validator, reason, height, bonded, unbonding);
    }

    // ---------------------------------------------------------------- internals: sets

    /// The eligible validators' top `maxValidators` by (tokens desc, address asc), sorted by
    /// address, with their powers.
    function _select() internal view returns (SetMember[] memory chosen) {
        uint256 n = candidates.length;
        address[] memory eligible = new address[](n);
        uint256[] memory tokens = new uint256[](n);
        uint256 m;
        for (uint256 i; i < n; ++i) {
            address c = candidates[i];
            Validator storage v = validatorRecords[c];
            if (v.jailed || v.tombstoned || v.tokens < config.powerReduction) continue;
            if (_stakeOf(v.operator, v, c) < config.minSelfStake) continue;
            eligible[m] = c;
            tokens[m] = v.tokens;
            ++m;
        }
        // Heap selection: build a heap whose root is the best (most tokens, then lowest address),
        // pop the best k. O(m + k log m) comparisons.
        for (uint256 i = m / 2; i > 0; --i) {
            _siftDown(eligible, tokens, i - 1, m);
        }
        uint256 k = m < config.maxValidators ? m : config.maxValidators;
        chosen = new SetMember[](k);
        uint256 size = m;
        for (uint256 j; j < k; ++j) {
            chosen[j] = SetMember({validator: eligible[0], power: uint64(tokens[0] / config.powerReduction)});
            --size;
            eligible[0] = eligible[size];
            tokens[0] = tokens[size];
            _siftDown(eligible, tokens, 0, size);
        }
        _sortByAddress(chosen);
    }

    function _better(address[] memory a, uint256[] memory t, uint256 i, uint256 j) internal pure returns (bool) {
        return t[i] > t[j] || (t[i] == t[j] && a[i] < a[j]);
    }

    function _siftDown(address[] memory a, uint256[] memory t, uint256 i, uint256 size) internal pure {
        while (true) {
            uint256 best = i;
            uint256 l = 2 * i + 1;
            if (l < size && _better(a, t, l, best)) best = l;
            if (l + 1 < size && _better(a, t, l + 1, best)) best = l + 1;
            if (best == i) return;
            (a[i], a[best]) = (a[best], a[i]);
            (t[i], t[best]) = (t[best], t[i]);
            i = best;
        }
    }

    /// Heapsort by address: O(k log k) for a set of k (insertion sort cost millions of gas at 200).
    function _sortByAddress(SetMember[] memory s) internal pure {
        uint256 n = s.length;
        for (uint256 i = n / 2; i > 0; --i) {
            _siftByAddress(s, i - 1, n);
        }
        for (uint256 end = n; end > 1; --end) {
            (s[0], s[end - 1]) = (s[end - 1], s[0]);
            _siftByAddress(s, 0, end - 1);
        }
    }

    function _siftByAddress(SetMember[] memory s, uint256 i, uint256 size) internal pure {
        while (true) {
            uint256 top = i;
            uint256 l = 2 * i + 1;
            if (l < size && s[l].validator > s[top].validator) top = l;
            if (l + 1 < size && s[l + 1].validator > s[top].validator) top = l + 1;
            if (top == i) return;
            (s[i], s[top]) = (s[top], s[i]);
            i = top;
        }
    }

    /// Binary search of a set (sorted by address): O(log n) reads instead of a stored index,
    /// which would cost a fresh storage slot per member per epoch.
    function _memberIndex(uint64 epoch, address a) internal view returns (bool found, uint256 index) {
        SetMember[] storage members = sets[epoch];
        uint256 lo;
        uint256 hi = members.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            address m = members[mid].validator;
            if (m == a) return (true, mid);
            if (m < a) lo = mid + 1;
            else hi = mid;
        }
        return (false, 0);
    }

    function _isMember(uint64 epoch, address a) internal view returns (bool found) {
        (found,) = _memberIndex(epoch, a);
    }

    function _writeSet(uint64 epoch, SetMember[] memory members) internal {
        SetMember[] storage stored = sets[epoch];
        uint256 total;
        for (uint256 i; i < members.length; ++i) {
            stored.push(members[i]);
            total += members[i].power;
        }
        setTotalPower[epoch] = total;
    }

    // ---------------------------------------------------------------- internals: keys and signatures

    /// Parses a 33-byte compressed or 64-byte x‖y secp256k1 key, checks it is on the curve, and
    /// returns its compressed form and Ethereum address.
    function _parseKey(bytes memory key) internal view returns (uint8 prefix, bytes32 x, address addr) {
        uint256 xs;
        uint256 y;
        if (key.length == 33) {
            prefix = uint8(key[0]);
            if (prefix != 2 && prefix != 3) revert InvalidPublicKey(key.length);
            assembly ("memory-safe") {
                xs := mload(add(key, 33))
            }
            if (xs >= P) revert PublicKeyNotOnCurve();
            uint256 y2 = addmod(mulmod(mulmod(xs, xs, P), xs, P), 7, P);
            y = _modexp(y2, (P + 1) / 4);
            if (mulmod(y, y, P) != y2) revert PublicKeyNotOnCurve();
            if (y & 1 != prefix & 1) y = P - y;
        } else if (key.length == 64) {
            assembly ("memory-safe") {
                xs := mload(add(key, 32))
                y := mload(add(key, 64))
            }
            if (xs >= P || y >= P) revert PublicKeyNotOnCurve();
            if (mulmod(y, y, P) != addmod(mulmod(mulmod(xs, xs, P), xs, P), 7, P)) revert PublicKeyNotOnCurve();
            prefix = uint8(2 + (y & 1));
        } else {
            revert InvalidPublicKey(key.length);
        }
        x = bytes32(xs);
        addr = address(uint160(uint256(keccak256(abi.encodePacked(xs, y)))));
    }

    /// base^exponent mod P through the MODEXP precompile (0x05).
    function _modexp(uint256 base, uint256 exponent) internal view returns (uint256 result) {
        (bool ok, bytes memory out) =
            address(5).staticcall(abi.encodePacked(uint256(32), uint256(32), uint256(32), base, exponent, P));
        if (!ok || out.length != 32) revert PublicKeyNotOnCurve();
        result = abi.decode(out, (uint256));
    }

    function _publicKey(Validator storage v) internal view returns (bytes memory) {
        return abi.encodePacked(v.keyPrefix, v.keyX);
    }

    /// True when (r, s) is a low-s signature of `digest` by `expected` (k256's rule, so the
    /// contract and the node agree on every signature).
    function _signedBy(bytes32 digest, bytes32 r, bytes32 s, address expected) internal pure returns (bool) {
        if (expected == address(0) || r == 0 || s == 0 || uint256(s) > HALF_N) return false;
        return ecrecover(digest, 27, r, s) == expected || ecrecover(digest, 28, r, s) == expected;
    }

    function _evidenceDigest(DoubleSign calldata e, SignedMessage calldata m) internal view returns (bytes32) {
        if (e.kind == 2) return proposalDigest(e.height, e.round, m.value, m.polRound, e.validator);
        return voteDigest(e.kind, e.height, e.round, m.isNil, m.value, e.validator);
    }

    function _bit(bytes calldata bitmap, uint256 i) internal pure returns (bool) {
        return uint8(bitmap[i / 8]) & (1 << (i % 8)) != 0;
    }

    /// Borsh writes integers little-endian.
    function _le64(uint64 x) internal pure returns (bytes8) {
        x = ((x & 0xFF00FF00FF00FF00) >> 8) | ((x & 0x00FF00FF00FF00FF) << 8);
        x = ((x & 0xFFFF0000FFFF0000) >> 16) | ((x & 0x0000FFFF0000FFFF) << 16);
        return bytes8((x >> 32) | (x << 32));
    }

    function _le32(uint32 x) internal pure returns (bytes4) {
        x = ((x & 0xFF00FF00) >> 8) | ((x & 0x00FF00FF) << 8);
        return bytes4((x >> 16) | (x << 16));
    }
}
