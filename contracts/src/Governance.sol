// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IValidatorSetSource} from "./IValidatorSetSource.sol";
import {Secp256k1} from "./Secp256k1.sol";

/// @title Cairn's governance system contract for private and consortium networks, at
/// 0x0000000000000000000000000000000000001001.
/// @notice Organisations govern the chain together: each has admin accounts, member accounts,
/// nodes (libp2p peer ids) and validators. Any admin may propose adding or removing an
/// organisation, a validator or a node, or changing a governable chain parameter; each
/// organisation has one vote, cast by any of its admins, and proposing casts the proposer's
/// organisation's yes. A proposal passes once at least two thirds of the organisations voted yes
/// before its deadline, and takes effect at the next epoch boundary, when the node calls
/// `endEpoch()` from revm's SYSTEM_ADDRESS (the same call proof of stake answers). Admins manage
/// their own organisation's admins, members and deployers without a vote.
/// @dev Every list is bounded by a constant below, so no call (and in particular no protocol
/// call) can run out of gas. Records that belong to a removed organisation are not cleared one
/// by one: an account, node or vote counts only while its organisation exists, and organisation
/// ids are never reused, so removal costs O(validators + open proposals), not O(members).
contract Governance is IValidatorSetSource {
    /// revm's SYSTEM_ADDRESS: the caller of the node's protocol calls. Nobody holds its key.
    address constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    /// Bumped when the ABI changes incompatibly; the node refuses a chain that answers another.
    uint256 constant ABI_VERSION = 1;

    /// Organisations at once (one vote each; the views list them all).
    uint256 public constant MAX_ORGANISATIONS = 32;
    /// Admin accounts of one organisation.
    uint256 public constant MAX_ADMINS = 8;
    /// Member accounts of one organisation (admins not counted).
    uint256 public constant MAX_MEMBERS = 1000;
    /// Nodes of one organisation.
    uint256 public constant MAX_NODES = 32;
    /// Validators of the whole chain (the set consensus runs with).
    uint256 public constant MAX_VALIDATORS = 100;
    /// Proposals open or passed and not yet applied; endEpoch visits each once.
    uint256 public constant MAX_OPEN_PROPOSALS = 16;
    /// Bytes of an organisation's name.
    uint256 public constant MAX_NAME_BYTES = 64;
    /// Total voting power: Malachite sums powers in a u64 and must compute two thirds of it.
    uint256 public constant MAX_TOTAL_POWER = 1 << 62;

    /// Bounds of the governable parameters (the chain spec's bounds).
    uint64 constant MIN_GAS_LIMIT = 21_000;
    uint64 constant MAX_GAS_LIMIT = 1_000_000_000;
    uint64 constant MAX_BLOCK_TIME_MS = 86_400_000;
    uint64 constant MAX_EPOCH_LENGTH = 1_000_000;
    uint64 constant MAX_VOTING_PERIOD = 1_000_000;

    /// The governable chain parameters, as `proposeParameter` numbers them.
    uint8 constant PARAM_GAS_LIMIT = 0;
    uint8 constant PARAM_BLOCK_TIME_MS = 1;
    uint8 constant PARAM_EPOCH_LENGTH = 2;
    uint8 constant PARAM_VOTING_PERIOD_BLOCKS = 3;
    uint8 constant PARAM_PERMISSION_ACCOUNTS = 4;
    uint8 constant PARAM_PERMISSION_NODES = 5;
    uint8 constant PARAM_PERMISSION_DEPLOYERS = 6;

    struct Params {
        uint64 gasLimit;
        uint64 blockTimeMs;
        uint64 epochLength;
        uint64 votingPeriodBlocks;
        bool permissionAccounts; // only members may send transactions
        bool permissionNodes; // only allowed nodes may connect
        bool permissionDeployers; // only deployers may create contracts
    }

    struct GenesisNode {
        bytes peerId;
        address consensusAddress;
    }

    struct GenesisValidator {
        bytes publicKey;
        uint64 power;
    }

    struct GenesisOrganisation {
        string name;
        address[] admins;
        address[] members;
        address[] deployers; // among the members; admins may always deploy
        GenesisNode[] nodes;
        GenesisValidator[] validators;
    }

    enum Role {
        None,
        Admin,
        Member
    }

    enum Kind {
        AddOrganisation,
        RemoveOrganisation,
        AddValidator,
        RemoveValidator,
        AllowNode,
        RemoveNode,
        SetParameter
    }

    /// Open: collecting votes. Passed: waits for the epoch's end. Executed: in effect from
    /// `effectiveHeight`. Failed: passed, but no longer applicable when the epoch ended (another
    /// change got there first). Rejected: can no longer reach two thirds. Expired: deadline
    /// passed without two thirds.
    enum Status {
        Open,
        Passed,
        Rejected,
        Expired,
        Executed,
        Failed
    }

    struct Organisation {
        string name;
        bool exists;
        address[] admins;
        address[] members;
        bytes[] nodes;
        address[] validators;
    }

    struct Account {
        uint32 org;
        Role role;
        bool deployer;
        uint32 index; // in the organisation's admins or members
    }

    struct Node {
        uint32 org;
        uint32 index; // in the organisation's nodes
        address consensusAddress;
    }

    struct Validator {
        uint32 org;
        uint32 index; // in the organisation's validators
        uint64 power;
        uint8 keyPrefix;
        bytes32 keyX;
    }

    struct VoteRecord {
        uint32 org;
        address voter;
        bool support;
    }

    struct Proposal {
        Kind kind;
        Status status;
        uint32 proposerOrg;
        address proposer;
        uint64 createdHeight;
        uint64 deadline; // last block that may carry a vote
        uint64 decidedHeight; // when it passed, was rejected, expired or failed
        uint64 effectiveHeight; // first block it is in force (Executed only)
        uint32 yes; // of existing organisations
        uint32 no;
        uint32 org; // AddValidator, AllowNode, RemoveOrganisation
        address account; // RemoveValidator: the validator; AllowNode: its consensus address
        uint64 value; // AddValidator: power; SetParameter: the value
        uint8 parameter;
        string name; // AddOrganisation
        address[] admins; // AddOrganisation
        bytes data; // AddValidator: consensus key; AllowNode, RemoveNode: peer id
        bytes failure; // Failed: the error that made it inapplicable
    }

    struct NodeInfo {
        bytes peerId;
        address consensusAddress;
        uint32 org;
    }

    struct ValidatorInfo {
        address validator;
        bytes publicKey;
        uint64 power;
        uint32 org;
    }

    struct MemberInfo {
        address account;
        bool deployer;
    }

    struct OrganisationInfo {
        uint32 id;
        string name;
        address[] admins;
        MemberInfo[] members;
        NodeInfo[] nodes;
        ValidatorInfo[] validators;
    }

    struct ProposalInfo {
        uint64 id;
        Kind kind;
        Status status;
        uint32 proposerOrg;
        address proposer;
        uint64 createdHeight;
        uint64 deadline;
        uint64 decidedHeight;
        uint64 effectiveHeight;
        uint32 yes;
        uint32 no;
        uint32 organisations; // existing now: the two-thirds base while it is open
        uint32 org;
        address account;
        uint64 value;
        uint8 parameter;
        string name;
        address[] admins;
        bytes data;
        bytes failure;
        VoteRecord[] votes;
    }

    Params internal config;
    uint64 public currentEpoch;
    /// First height of each epoch (index = epoch).
    uint64[] internal epochStarts;
    /// Existing organisations, ascending by id.
    uint32[] internal orgIds;
    uint32 internal lastOrgId;
    mapping(uint32 => Organisation) internal orgs;
    mapping(bytes32 => uint32) internal orgByName; // keccak256(name)
    mapping(address => Account) internal accounts;
    mapping(bytes32 => Node) internal nodeRecords; // keccak256(peer id)
    mapping(address => Validator) internal validatorRecords;
    /// The set in force, ascending by address (what endEpoch returns).
    address[] internal validatorList;
    uint256 public totalPower;
    uint64 public proposalCount;
    mapping(uint64 => Proposal) internal proposals; // id 1..=proposalCount
    /// Open and passed proposals not yet applied, ascending by id.
    uint64[] internal pending;
    mapping(uint64 => mapping(uint32 => uint8)) internal voteOf; // 0 none, 1 yes, 2 no
    mapping(uint64 => VoteRecord[]) internal voteRecords;

    event OrganisationAdded(uint32 indexed org, string name);
    event OrganisationRemoved(uint32 indexed org);
    event AdminAdded(uint32 indexed org, address indexed account);
    event AdminRemoved(uint32 indexed org, address indexed account);
    event MemberAdded(uint32 indexed org, address indexed account);
    event MemberRemoved(uint32 indexed org, address indexed account);
    event DeployerSet(uint32 indexed org, address indexed account, bool allowed);
    event NodeAllowed(uint32 indexed org, bytes peerId, address consensusAddress);
    event NodeRemoved(uint32 indexed org, bytes peerId);
    event ValidatorAdded(uint32 indexed org, address indexed validator, uint64 power);
    event ValidatorRemoved(uint32 indexed org, address indexed validator);
    event ParameterChanged(uint8 indexed parameter, uint64 value);
    event ProposalCreated(uint64 indexed id, uint32 indexed org, address proposer, Kind kind, uint64 deadline);
    event Voted(uint64 indexed id, uint32 indexed org, address voter, bool support);
    event ProposalPassed(uint64 indexed id, uint64 height);
    event ProposalRejected(uint64 indexed id, uint64 height);
    event ProposalExpired(uint64 indexed id, uint64 deadline);
    event ProposalExecuted(uint64 indexed id, uint64 effectiveHeight);
    event ProposalFailed(uint64 indexed id, bytes reason);
    /// The same event the staking contract emits, so the node checks both alike.
    event EpochStarted(uint64 indexed epoch, uint64 firstHeight, uint256 validators, uint256 totalPower);

    error OnlySystem(address caller);
    error NotAnAdmin(address caller);
    error UnknownOrganisation(uint32 org);
    error UnknownProposal(uint64 id);
    error ProposalNotOpen(uint64 id, Status status);
    error VotingClosed(uint64 id, uint64 deadline);
    error AlreadyVoted(uint64 id, uint32 org);
    error ZeroAddress();
    error AccountInOrganisation(address account, uint32 org);
    error NotInOrganisation(address account, uint32 org);
    error DuplicateAccount(address account);
    error InvalidName();
    error OrganisationNameTaken(uint32 org);
    error InvalidAdminCount(uint256 count, uint256 maximum);
    error LastAdmin(uint32 org);
    error LastOrganisation();
    error LastValidator();
    error TooManyOrganisations(uint256 maximum);
    error TooManyAdmins(uint256 maximum);
    error TooManyMembers(uint256 maximum);
    error TooManyNodes(uint256 maximum);
    error TooManyValidators(uint256 maximum);
    error TooManyOpenProposals(uint256 maximum);
    error InvalidPublicKey();
    error DuplicateValidator(address validator);
    error UnknownValidator(address validator);
    error InvalidPower(uint64 power);
    error TotalPowerTooLarge(uint256 total);
    error InvalidPeerId();
    error DuplicateNode(bytes peerId);
    error UnknownNode(bytes peerId);
    error UnknownParameter(uint8 parameter);
    error ParameterOutOfRange(uint8 parameter, uint64 value);
    error UnknownEpoch(uint64 epoch);
    error NoDirectTransfers();
    error UnknownFunction(bytes4 selector);
    /// Genesis only: no organisation, or parameters outside their bounds.
    error InvalidParams();

    modifier onlySystem() {
        if (msg.sender != SYSTEM) revert OnlySystem(msg.sender);
        _;
    }

    /// @notice Genesis: the spec's parameters and founding organisations. The node runs this
    /// once in revm to produce the contract's genesis account; it never reads address(this), so
    /// that state can be placed at 0x…1001.
    constructor(Params memory p, GenesisOrganisation[] memory founders) {
        if (founders.length == 0 || founders.length > MAX_ORGANISATIONS) revert InvalidParams();
        for (uint8 i = PARAM_GAS_LIMIT; i <= PARAM_PERMISSION_DEPLOYERS; ++i) {
            bytes memory bad = _checkParameter(i, _parameterOf(p, i));
            if (bad.length != 0) _raise(bad);
        }
        config = p;
        for (uint256 i; i < founders.length; ++i) {
            GenesisOrganisation memory g = founders[i];
            _raise(_checkNewOrganisation(g.name, g.admins));
            uint32 org = _addOrganisation(g.name, g.admins);
            for (uint256 j; j < g.members.length; ++j) {
                _addMember(org, g.members[j]);
            }
            for (uint256 j; j < g.deployers.length; ++j) {
                _setDeployer(org, g.deployers[j], true);
            }
            for (uint256 j; j < g.nodes.length; ++j) {
                _raise(_checkNewNode(org, g.nodes[j].peerId));
                _allowNode(org, g.nodes[j].peerId, g.nodes[j].consensusAddress);
            }
            for (uint256 j; j < g.validators.length; ++j) {
                _raise(_checkNewValidator(org, g.validators[j].publicKey, g.validators[j].power));
                _addValidator(org, g.validators[j].publicKey, g.validators[j].power);
            }
        }
        epochStarts.push(1);
    }

    // ---------------------------------------------------------------- organisation admins

    /// @notice Makes `account` a member of the caller's organisation (no vote needed).
    function addMember(address account) external {
        _addMember(_adminOrg(msg.sender), account);
    }

    /// @notice Removes `account` from the members of the caller's organisation.
    function removeMember(address account) external {
        uint32 org = _adminOrg(msg.sender);
        Account storage a = accounts[account];
        if (_accountOrg(account) != org || a.role != Role.Member) revert NotInOrganisation(account, org);
        address[] storage list = orgs[org].members;
        _removeAt(list, a.index);
        delete accounts[account];
        emit MemberRemoved(org, account);
    }

    /// @notice Allows or forbids `account`, a member of the caller's organisation, to create
    /// contracts when the chain's deployer switch is on.
    function setDeployer(address account, bool allowed) external {
        _setDeployer(_adminOrg(msg.sender), account, allowed);
    }

    /// @notice Adds an admin to the caller's organisation (no vote needed).
    function addAdmin(address account) external {
        uint32 org = _adminOrg(msg.sender);
        if (orgs[org].admins.length >= MAX_ADMINS) revert TooManyAdmins(MAX_ADMINS);
        _raise(_checkFreeAccount(account));
        _pushAccount(org, account, Role.Admin);
        emit AdminAdded(org, account);
    }

    /// @notice Removes an admin of the caller's organisation (the caller may remove itself);
    /// the last admin stays.
    function removeAdmin(address account) external {
        uint32 org = _adminOrg(msg.sender);
        Account storage a = accounts[account];
        if (_accountOrg(account) != org || a.role != Role.Admin) revert NotInOrganisation(account, org);
        address[] storage list = orgs[org].admins;
        if (list.length == 1) revert LastAdmin(org);
        _removeAt(list, a.index);
        delete accounts[account];
        emit AdminRemoved(org, account);
    }

    // ---------------------------------------------------------------- proposals

    /// @notice Proposes a new organisation with its first admins.
    function proposeAddOrganisation(string calldata name, address[] calldata admins) external returns (uint64 id) {
        Proposal storage p;
        (id, p) = _newProposal(Kind.AddOrganisation);
        p.name = name;
        p.admins = admins;
        _open(id, p);
    }

    /// @notice Proposes removing organisation `org` with its members, nodes and validators.
    function proposeRemoveOrganisation(uint32 org) external returns (uint64 id) {
        Proposal storage p;
        (id, p) = _newProposal(Kind.RemoveOrganisation);
        p.org = org;
        _open(id, p);
    }

    /// @notice Proposes a validator for organisation `org`: its consensus key (33-byte
    /// compressed or 64-byte x‖y secp256k1) and voting power.
    function proposeAddValidator(uint32 org, bytes calldata publicKey, uint64 power) external returns (uint64 id) {
        Proposal storage p;
        (id, p) = _newProposal(Kind.AddValidator);
        p.org = org;
        p.data = publicKey;
        p.value = power;
        _open(id, p);
    }

    /// @notice Proposes removing the validator with consensus address `validator`.
    function proposeRemoveValidator(address validator) external returns (uint64 id) {
        Proposal storage p;
        (id, p) = _newProposal(Kind.RemoveValidator);
        p.account = validator;
        _open(id, p);
    }

    /// @notice Proposes allowing a node of organisation `org`: its libp2p peer id (the bytes of
    /// the multihash) and the consensus address it validates with (zero for a full node).
    function proposeAllowNode(uint32 org, bytes calldata peerId, address consensusAddress)
        external
        returns (uint64 id)
    {
        Proposal storage p;
        (id, p) = _newProposal(Kind.AllowNode);
        p.org = org;
        p.data = peerId;
        p.account = consensusAddress;
        _open(id, p);
    }

    /// @notice Proposes removing the node with libp2p peer id `peerId`.
    function proposeRemoveNode(bytes calldata peerId) external returns (uint64 id) {
        Proposal storage p;
        (id, p) = _newProposal(Kind.RemoveNode);
        p.data = peerId;
        _open(id, p);
    }

    /// @notice Proposes a new value for a governable parameter: 0 gas limit, 1 block time (ms),
    /// 2 epoch length (blocks), 3 voting period (blocks), 4 account permissioning, 5 node
    /// permissioning, 6 deployer permissioning (switches: 0 off, 1 on).
    function proposeParameter(uint8 parameter, uint64 value) external returns (uint64 id) {
        Proposal storage p;
        (id, p) = _newProposal(Kind.SetParameter);
        p.parameter = parameter;
        p.value = value;
        _open(id, p);
    }

    /// @notice Casts the caller's organisation's vote on proposal `id`; one vote per
    /// organisation, until the proposal's deadline.
    function vote(uint64 id, bool support) external {
        uint32 org = _adminOrg(msg.sender);
        Proposal storage p = _proposal(id);
        if (p.status != Status.Open) revert ProposalNotOpen(id, p.status);
        if (block.number > p.deadline) revert VotingClosed(id, p.deadline);
        if (voteOf[id][org] != 0) revert AlreadyVoted(id, org);
        _castVote(id, p, org, support);
        _tally(id, p);
    }

    receive() external payable {
        revert NoDirectTransfers();
    }

    fallback() external payable {
        revert UnknownFunction(msg.sig);
    }

    // ---------------------------------------------------------------- protocol function

    /// @notice Closes the current epoch: applies the passed proposals in id order (one that is
    /// no longer applicable is marked Failed, never reverts), expires open proposals past their
    /// deadline, re-counts the rest against the organisations that exist now, and returns the set
    /// that signs from the next block.
    function endEpoch()
        external
        onlySystem
        returns (address[] memory validators, bytes[] memory publicKeys, uint64[] memory powers)
    {
        uint64 firstHeight = uint64(block.number) + 1;
        uint256 n = pending.length;
        for (uint256 i; i < n; ++i) {
            uint64 id = pending[i];
            Proposal storage p = proposals[id];
            if (p.status != Status.Passed) continue;
            bytes memory failure = _check(p);
            p.decidedHeight = uint64(block.number);
            if (failure.length != 0) {
                p.status = Status.Failed;
                p.failure = failure;
                emit ProposalFailed(id, failure);
                continue;
            }
            _apply(p);
            p.status = Status.Executed;
            p.effectiveHeight = firstHeight;
            emit ProposalExecuted(id, firstHeight);
        }
        for (uint256 i; i < n; ++i) {
            uint64 id = pending[i];
            Proposal storage p = proposals[id];
            if (p.status != Status.Open) continue;
            if (block.number > p.deadline) {
                p.status = Status.Expired;
                p.decidedHeight = uint64(block.number);
                emit ProposalExpired(id, p.deadline);
            } else {
                _tally(id, p);
            }
        }
        _compactPending();

        uint256 count = validatorList.length;
        validators = new address[](count);
        publicKeys = new bytes[](count);
        powers = new uint64[](count);
        for (uint256 i; i < count; ++i) {
            address a = validatorList[i];
            Validator storage v = validatorRecords[a];
            validators[i] = a;
            publicKeys[i] = Secp256k1.compressed(v.keyPrefix, v.keyX);
            powers[i] = v.power;
        }
        currentEpoch += 1;
        epochStarts.push(firstHeight);
        emit EpochStarted(currentEpoch, firstHeight, count, totalPower);
    }

    // ---------------------------------------------------------------- views

    /// @notice 1 for this ABI; the node refuses a chain whose contract answers another.
    function abiVersion() external pure returns (uint256) {
        return ABI_VERSION;
    }

    /// @notice The governable chain parameters in force.
    function params() external view returns (Params memory) {
        return config;
    }

    /// @notice First height of `epoch`.
    function epochStart(uint64 epoch) external view returns (uint64) {
        if (epoch >= epochStarts.length) revert UnknownEpoch(epoch);
        return epochStarts[epoch];
    }

    /// @notice Whether `account` is an admin or member of an existing organisation.
    function isMember(address account) public view returns (bool) {
        return _accountOrg(account) != 0;
    }

    /// @notice Whether `account` may send transactions: always when account permissioning is
    /// off, else only members.
    function canTransact(address account) public view returns (bool) {
        return !config.permissionAccounts || isMember(account);
    }

    /// @notice Whether `account` may create contracts: it must be able to transact, and when
    /// the deployer switch is on it must be an admin or a member its admins marked deployer.
    function canDeploy(address account) external view returns (bool) {
        if (!canTransact(account)) return false;
        if (!config.permissionDeployers) return true;
        if (!isMember(account)) return false;
        Account storage a = accounts[account];
        return a.role == Role.Admin || a.deployer;
    }

    /// @notice The organisation, role (0 none, 1 admin, 2 member) and deployer flag of `account`.
    function accountInfo(address account) external view returns (uint32 org, Role role, bool deployer) {
        org = _accountOrg(account);
        if (org == 0) return (0, Role.None, false);
        Account storage a = accounts[account];
        return (org, a.role, a.deployer);
    }

    /// @notice Whether the node with libp2p peer id `peerId` may connect: always when node
    /// permissioning is off, else only allowed nodes.
    function isNodeAllowed(bytes calldata peerId) external view returns (bool) {
        return !config.permissionNodes || _nodeOrg(keccak256(peerId)) != 0;
    }

    /// @notice An allowed node.
    function node(bytes calldata peerId) external view returns (NodeInfo memory) {
        bytes32 key = keccak256(peerId);
        uint32 org = _nodeOrg(key);
        if (org == 0) revert UnknownNode(peerId);
        return NodeInfo({peerId: peerId, consensusAddress: nodeRecords[key].consensusAddress, org: org});
    }

    /// @notice The ids of the existing organisations, ascending.
    function organisationIds() external view returns (uint32[] memory) {
        return orgIds;
    }

    /// @notice One organisation with its admins, members, nodes and validators.
    function organisation(uint32 org) public view returns (OrganisationInfo memory info) {
        Organisation storage o = _org(org);
        info.id = org;
        info.name = o.name;
        info.admins = o.admins;
        info.members = new MemberInfo[](o.members.length);
        for (uint256 i; i < o.members.length; ++i) {
            address m = o.members[i];
            info.members[i] = MemberInfo({account: m, deployer: accounts[m].deployer});
        }
        info.nodes = new NodeInfo[](o.nodes.length);
        for (uint256 i; i < o.nodes.length; ++i) {
            bytes memory peerId = o.nodes[i];
            info.nodes[i] = NodeInfo({
                peerId: peerId, consensusAddress: nodeRecords[keccak256(peerId)].consensusAddress, org: org
            });
        }
        info.validators = new ValidatorInfo[](o.validators.length);
        for (uint256 i; i < o.validators.length; ++i) {
            info.validators[i] = _validatorInfo(o.validators[i]);
        }
    }

    /// @notice Every existing organisation, ascending by id.
    function organisations() external view returns (OrganisationInfo[] memory infos) {
        infos = new OrganisationInfo[](orgIds.length);
        for (uint256 i; i < orgIds.length; ++i) {
            infos[i] = organisation(orgIds[i]);
        }
    }

    /// @notice The validator set in force, ascending by address, with each one's organisation.
    function validatorSet() external view returns (ValidatorInfo[] memory set) {
        set = new ValidatorInfo[](validatorList.length);
        for (uint256 i; i < validatorList.length; ++i) {
            set[i] = _validatorInfo(validatorList[i]);
        }
    }

    /// @notice One proposal with its status, votes and, once executed, the first height it is
    /// in force. An open proposal past its deadline reads Expired before endEpoch records it.
    function proposal(uint64 id) external view returns (ProposalInfo memory info) {
        Proposal storage p = _proposal(id);
        info.id = id;
        info.kind = p.kind;
        info.status = p.status == Status.Open && block.number > p.deadline ? Status.Expired : p.status;
        info.proposerOrg = p.proposerOrg;
        info.proposer = p.proposer;
        info.createdHeight = p.createdHeight;
        info.deadline = p.deadline;
        info.decidedHeight = p.decidedHeight;
        info.effectiveHeight = p.effectiveHeight;
        info.yes = p.yes;
        info.no = p.no;
        info.organisations = uint32(orgIds.length);
        info.org = p.org;
        info.account = p.account;
        info.value = p.value;
        info.parameter = p.parameter;
        info.name = p.name;
        info.admins = p.admins;
        info.data = p.data;
        info.failure = p.failure;
        info.votes = voteRecords[id];
    }

    /// @notice The proposals still open or passed and waiting for the epoch's end, ascending.
    function pendingProposals() external view returns (uint64[] memory) {
        return pending;
    }

    // ---------------------------------------------------------------- internals: proposals

    function _newProposal(Kind kind) internal returns (uint64 id, Proposal storage p) {
        uint32 org = _adminOrg(msg.sender);
        if (pending.length >= MAX_OPEN_PROPOSALS) _expireLapsed();
        if (pending.length >= MAX_OPEN_PROPOSALS) revert TooManyOpenProposals(MAX_OPEN_PROPOSALS);
        id = ++proposalCount;
        p = proposals[id];
        p.kind = kind;
        p.proposerOrg = org;
        p.proposer = msg.sender;
        p.createdHeight = uint64(block.number);
        p.deadline = uint64(block.number) + config.votingPeriodBlocks;
    }

    /// Refuses a proposal that could not apply now, then records it with the proposer's
    /// organisation's yes (which passes it at once on a one-organisation network).
    function _open(uint64 id, Proposal storage p) internal {
        _raise(_check(p));
        pending.push(id);
        emit ProposalCreated(id, p.proposerOrg, p.proposer, p.kind, p.deadline);
        _castVote(id, p, p.proposerOrg, true);
        _tally(id, p);
    }

    function _castVote(uint64 id, Proposal storage p, uint32 org, bool support) internal {
        voteOf[id][org] = support ? 1 : 2;
        voteRecords[id].push(VoteRecord({org: org, voter: msg.sender, support: support}));
        if (support) ++p.yes;
        else ++p.no;
        emit Voted(id, org, msg.sender, support);
    }

    /// Passed once at least two thirds of the existing organisations voted yes; rejected once
    /// the organisations that have not voted no are fewer than two thirds. Integer arithmetic
    /// only: 3 · yes ≥ 2 · organisations.
    function _tally(uint64 id, Proposal storage p) internal {
        uint256 total = orgIds.length;
        if (uint256(p.yes) * 3 >= total * 2) {
            p.status = Status.Passed;
            p.decidedHeight = uint64(block.number);
            emit ProposalPassed(id, uint64(block.number));
        } else if ((total - p.no) * 3 < total * 2) {
            p.status = Status.Rejected;
            p.decidedHeight = uint64(block.number);
            emit ProposalRejected(id, uint64(block.number));
        }
    }

    /// Records every open proposal past its deadline as expired and drops the closed ones from
    /// the pending list, making room for new proposals.
    function _expireLapsed() internal {
        for (uint256 i; i < pending.length; ++i) {
            uint64 id = pending[i];
            Proposal storage p = proposals[id];
            if (p.status == Status.Open && block.number > p.deadline) {
                p.status = Status.Expired;
                p.decidedHeight = uint64(block.number);
                emit ProposalExpired(id, p.deadline);
            }
        }
        _compactPending();
    }

    /// Keeps the open and passed proposals, in order.
    function _compactPending() internal {
        uint256 kept;
        uint256 n = pending.length;
        for (uint256 i; i < n; ++i) {
            uint64 id = pending[i];
            Status s = proposals[id].status;
            if (s == Status.Open || s == Status.Passed) pending[kept++] = id;
        }
        while (pending.length > kept) pending.pop();
    }

    /// Why proposal `p` could not take effect now, as the custom error's encoding; empty if
    /// it could. Used when proposing (reverts with it) and at the epoch's end (marks Failed).
    function _check(Proposal storage p) internal view returns (bytes memory) {
        Kind kind = p.kind;
        if (kind == Kind.AddOrganisation) return _checkNewOrganisation(p.name, p.admins);
        if (kind == Kind.RemoveOrganisation) {
            if (!orgs[p.org].exists) return abi.encodeWithSelector(UnknownOrganisation.selector, p.org);
            if (orgIds.length == 1) return abi.encodeWithSelector(LastOrganisation.selector);
            if (validatorList.length != 0 && orgs[p.org].validators.length == validatorList.length) {
                return abi.encodeWithSelector(LastValidator.selector);
            }
            return "";
        }
        if (kind == Kind.AddValidator) return _checkNewValidator(p.org, p.data, p.value);
        if (kind == Kind.RemoveValidator) {
            if (validatorRecords[p.account].org == 0) {
                return abi.encodeWithSelector(UnknownValidator.selector, p.account);
            }
            if (validatorList.length == 1) return abi.encodeWithSelector(LastValidator.selector);
            return "";
        }
        if (kind == Kind.AllowNode) return _checkNewNode(p.org, p.data);
        if (kind == Kind.RemoveNode) {
            if (_nodeOrg(keccak256(p.data)) == 0) return abi.encodeWithSelector(UnknownNode.selector, p.data);
            return "";
        }
        return _checkParameter(p.parameter, p.value);
    }

    function _apply(Proposal storage p) internal {
        Kind kind = p.kind;
        if (kind == Kind.AddOrganisation) {
            _addOrganisation(p.name, p.admins);
        } else if (kind == Kind.RemoveOrganisation) {
            _removeOrganisation(p.org);
        } else if (kind == Kind.AddValidator) {
            _addValidator(p.org, p.data, p.value);
        } else if (kind == Kind.RemoveValidator) {
            _removeValidator(p.account);
        } else if (kind == Kind.AllowNode) {
            _allowNode(p.org, p.data, p.account);
        } else if (kind == Kind.RemoveNode) {
            _removeNode(p.data);
        } else {
            _setParameter(p.parameter, p.value);
        }
    }

    // ---------------------------------------------------------------- internals: checks

    function _checkNewOrganisation(string memory name, address[] memory admins) internal view returns (bytes memory) {
        if (orgIds.length >= MAX_ORGANISATIONS) {
            return abi.encodeWithSelector(TooManyOrganisations.selector, MAX_ORGANISATIONS);
        }
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_BYTES) return abi.encodeWithSelector(InvalidName.selector);
        uint32 taken = orgByName[keccak256(bytes(name))];
        if (taken != 0) return abi.encodeWithSelector(OrganisationNameTaken.selector, taken);
        if (admins.length == 0 || admins.length > MAX_ADMINS) {
            return abi.encodeWithSelector(InvalidAdminCount.selector, admins.length, MAX_ADMINS);
        }
        for (uint256 i; i < admins.length; ++i) {
            bytes memory bad = _checkFreeAccount(admins[i]);
            if (bad.length != 0) return bad;
            for (uint256 j; j < i; ++j) {
                if (admins[j] == admins[i]) return abi.encodeWithSelector(DuplicateAccount.selector, admins[i]);
            }
        }
        return "";
    }

    function _checkFreeAccount(address account) internal view returns (bytes memory) {
        if (account == address(0)) return abi.encodeWithSelector(ZeroAddress.selector);
        uint32 org = _accountOrg(account);
        if (org != 0) return abi.encodeWithSelector(AccountInOrganisation.selector, account, org);
        return "";
    }

    function _checkNewValidator(uint32 org, bytes memory publicKey, uint64 power) internal view returns (bytes memory) {
        if (!orgs[org].exists) return abi.encodeWithSelector(UnknownOrganisation.selector, org);
        (bool ok,,, address validator) = Secp256k1.parse(publicKey);
        if (!ok) return abi.encodeWithSelector(InvalidPublicKey.selector);
        if (validatorRecords[validator].org != 0) return abi.encodeWithSelector(DuplicateValidator.selector, validator);
        if (validatorList.length >= MAX_VALIDATORS) {
            return abi.encodeWithSelector(TooManyValidators.selector, MAX_VALIDATORS);
        }
        if (power == 0) return abi.encodeWithSelector(InvalidPower.selector, power);
        uint256 total = totalPower + power;
        if (total > MAX_TOTAL_POWER) return abi.encodeWithSelector(TotalPowerTooLarge.selector, total);
        return "";
    }

    /// A libp2p peer id is a multihash: identity (0x00) of a public key of at most 42 bytes, or
    /// sha2-256 (0x12) of 32 bytes.
    function _checkNewNode(uint32 org, bytes memory peerId) internal view returns (bytes memory) {
        if (!orgs[org].exists) return abi.encodeWithSelector(UnknownOrganisation.selector, org);
        uint256 n = peerId.length;
        bool identity = n >= 3 && n <= 44 && peerId[0] == 0x00 && uint8(peerId[1]) == n - 2;
        bool sha2 = n == 34 && peerId[0] == 0x12 && peerId[1] == 0x20;
        if (!identity && !sha2) return abi.encodeWithSelector(InvalidPeerId.selector);
        if (_nodeOrg(keccak256(peerId)) != 0) return abi.encodeWithSelector(DuplicateNode.selector, peerId);
        if (orgs[org].nodes.length >= MAX_NODES) return abi.encodeWithSelector(TooManyNodes.selector, MAX_NODES);
        return "";
    }

    function _checkParameter(uint8 parameter, uint64 value) internal pure returns (bytes memory) {
        bool ok;
        if (parameter == PARAM_GAS_LIMIT) ok = value >= MIN_GAS_LIMIT && value <= MAX_GAS_LIMIT;
        else if (parameter == PARAM_BLOCK_TIME_MS) ok = value >= 1 && value <= MAX_BLOCK_TIME_MS;
        else if (parameter == PARAM_EPOCH_LENGTH) ok = value >= 1 && value <= MAX_EPOCH_LENGTH;
        else if (parameter == PARAM_VOTING_PERIOD_BLOCKS) ok = value >= 1 && value <= MAX_VOTING_PERIOD;
        else if (parameter <= PARAM_PERMISSION_DEPLOYERS) ok = value <= 1;
        else return abi.encodeWithSelector(UnknownParameter.selector, parameter);
        if (!ok) return abi.encodeWithSelector(ParameterOutOfRange.selector, parameter, value);
        return "";
    }

    /// Reverts with an encoded custom error, if there is one.
    function _raise(bytes memory failure) internal pure {
        if (failure.length == 0) return;
        assembly ("memory-safe") {
            revert(add(failure, 32), mload(failure))
        }
    }

    // ---------------------------------------------------------------- internals: state changes

    function _addOrganisation(string memory name, address[] memory admins) internal returns (uint32 org) {
        org = ++lastOrgId;
        Organisation storage o = orgs[org];
        o.name = name;
        o.exists = true;
        orgIds.push(org);
        orgByName[keccak256(bytes(name))] = org;
        emit OrganisationAdded(org, name);
        for (uint256 i; i < admins.length; ++i) {
            _pushAccount(org, admins[i], Role.Admin);
            emit AdminAdded(org, admins[i]);
        }
    }

    /// Removes the organisation, its validators (from the set of the next epoch) and its votes
    /// on pending proposals. Its accounts and nodes stop counting because it no longer exists.
    function _removeOrganisation(uint32 org) internal {
        Organisation storage o = orgs[org];
        o.exists = false;
        delete orgByName[keccak256(bytes(o.name))];
        uint256 n = orgIds.length;
        uint256 kept;
        for (uint256 i; i < n; ++i) {
            if (orgIds[i] != org) orgIds[kept++] = orgIds[i];
        }
        orgIds.pop();
        if (o.validators.length != 0) {
            n = validatorList.length;
            kept = 0;
            for (uint256 i; i < n; ++i) {
                address a = validatorList[i];
                Validator storage v = validatorRecords[a];
                if (v.org == org) {
                    totalPower -= v.power;
                    delete validatorRecords[a];
                    emit ValidatorRemoved(org, a);
                } else {
                    validatorList[kept++] = a;
                }
            }
            while (validatorList.length > kept) validatorList.pop();
            delete o.validators;
        }
        for (uint256 i; i < pending.length; ++i) {
            uint64 id = pending[i];
            uint8 cast = voteOf[id][org];
            if (cast == 1) --proposals[id].yes;
            else if (cast == 2) --proposals[id].no;
        }
        emit OrganisationRemoved(org);
    }

    function _addMember(uint32 org, address account) internal {
        if (orgs[org].members.length >= MAX_MEMBERS) revert TooManyMembers(MAX_MEMBERS);
        _raise(_checkFreeAccount(account));
        _pushAccount(org, account, Role.Member);
        emit MemberAdded(org, account);
    }

    function _pushAccount(uint32 org, address account, Role role) internal {
        address[] storage list = role == Role.Admin ? orgs[org].admins : orgs[org].members;
        accounts[account] = Account({org: org, role: role, deployer: false, index: uint32(list.length)});
        list.push(account);
    }

    /// Removes entry `index` by moving the last entry into its place (and its index with it).
    function _removeAt(address[] storage list, uint32 index) internal {
        address last = list[list.length - 1];
        list[index] = last;
        accounts[last].index = index;
        list.pop();
    }

    function _setDeployer(uint32 org, address account, bool allowed) internal {
        if (_accountOrg(account) != org || accounts[account].role != Role.Member) {
            revert NotInOrganisation(account, org);
        }
        accounts[account].deployer = allowed;
        emit DeployerSet(org, account, allowed);
    }

    function _allowNode(uint32 org, bytes memory peerId, address consensusAddress) internal {
        bytes[] storage list = orgs[org].nodes;
        nodeRecords[keccak256(peerId)] =
            Node({org: org, index: uint32(list.length), consensusAddress: consensusAddress});
        list.push(peerId);
        emit NodeAllowed(org, peerId, consensusAddress);
    }

    function _removeNode(bytes memory peerId) internal {
        bytes32 key = keccak256(peerId);
        Node storage record = nodeRecords[key];
        uint32 org = record.org;
        bytes[] storage list = orgs[org].nodes;
        uint32 index = record.index;
        bytes memory last = list[list.length - 1];
        list[index] = last;
        nodeRecords[keccak256(last)].index = index;
        list.pop();
        delete nodeRecords[key];
        emit NodeRemoved(org, peerId);
    }

    function _addValidator(uint32 org, bytes memory publicKey, uint64 power) internal {
        (, uint8 prefix, bytes32 x, address validator) = Secp256k1.parse(publicKey);
        address[] storage owned = orgs[org].validators;
        validatorRecords[validator] =
            Validator({org: org, index: uint32(owned.length), power: power, keyPrefix: prefix, keyX: x});
        owned.push(validator);
        totalPower += power;
        // Insert in address order: the set consensus gets is sorted.
        validatorList.push(validator);
        uint256 i = validatorList.length - 1;
        while (i > 0 && validatorList[i - 1] > validator) {
            validatorList[i] = validatorList[i - 1];
            --i;
        }
        validatorList[i] = validator;
        emit ValidatorAdded(org, validator, power);
    }

    function _removeValidator(address validator) internal {
        Validator storage v = validatorRecords[validator];
        uint32 org = v.org;
        address[] storage owned = orgs[org].validators;
        address last = owned[owned.length - 1];
        owned[v.index] = last;
        validatorRecords[last].index = v.index;
        owned.pop();
        totalPower -= v.power;
        delete validatorRecords[validator];
        uint256 n = validatorList.length;
        uint256 i;
        while (validatorList[i] != validator) ++i;
        for (; i + 1 < n; ++i) {
            validatorList[i] = validatorList[i + 1];
        }
        validatorList.pop();
        emit ValidatorRemoved(org, validator);
    }

    function _setParameter(uint8 parameter, uint64 value) internal {
        if (parameter == PARAM_GAS_LIMIT) config.gasLimit = value;
        else if (parameter == PARAM_BLOCK_TIME_MS) config.blockTimeMs = value;
        else if (parameter == PARAM_EPOCH_LENGTH) config.epochLength = value;
        else if (parameter == PARAM_VOTING_PERIOD_BLOCKS) config.votingPeriodBlocks = value;
        else if (parameter == PARAM_PERMISSION_ACCOUNTS) config.permissionAccounts = value == 1;
        else if (parameter == PARAM_PERMISSION_NODES) config.permissionNodes = value == 1;
        else config.permissionDeployers = value == 1;
        emit ParameterChanged(parameter, value);
    }

    // ---------------------------------------------------------------- internals: reads

    function _parameterOf(Params memory p, uint8 parameter) internal pure returns (uint64) {
        if (parameter == PARAM_GAS_LIMIT) return p.gasLimit;
        if (parameter == PARAM_BLOCK_TIME_MS) return p.blockTimeMs;
        if (parameter == PARAM_EPOCH_LENGTH) return p.epochLength;
        if (parameter == PARAM_VOTING_PERIOD_BLOCKS) return p.votingPeriodBlocks;
        if (parameter == PARAM_PERMISSION_ACCOUNTS) return p.permissionAccounts ? 1 : 0;
        if (parameter == PARAM_PERMISSION_NODES) return p.permissionNodes ? 1 : 0;
        return p.permissionDeployers ? 1 : 0;
    }

    /// The existing organisation `account` belongs to, or 0 (none, or its organisation was
    /// removed).
    function _accountOrg(address account) internal view returns (uint32) {
        uint32 org = accounts[account].org;
        return org != 0 && orgs[org].exists ? org : 0;
    }

    function _adminOrg(address caller) internal view returns (uint32 org) {
        org = _accountOrg(caller);
        if (org == 0 || accounts[caller].role != Role.Admin) revert NotAnAdmin(caller);
    }

    function _nodeOrg(bytes32 key) internal view returns (uint32) {
        uint32 org = nodeRecords[key].org;
        return org != 0 && orgs[org].exists ? org : 0;
    }

    function _org(uint32 org) internal view returns (Organisation storage o) {
        o = orgs[org];
        if (!o.exists) revert UnknownOrganisation(org);
    }

    function _proposal(uint64 id) internal view returns (Proposal storage p) {
        if (id == 0 || id > proposalCount) revert UnknownProposal(id);
        p = proposals[id];
    }

    function _validatorInfo(address a) internal view returns (ValidatorInfo memory) {
        Validator storage v = validatorRecords[a];
        return ValidatorInfo({
            validator: a, publicKey: Secp256k1.compressed(v.keyPrefix, v.keyX), power: v.power, org: v.org
        });
    }
}
