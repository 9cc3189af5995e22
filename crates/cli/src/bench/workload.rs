//! The load: fresh sender keys, their funding from one funded key, the contract a mix calls
//! (an ERC-20 or the contract-heavy `Heavy`), and every transaction signed before the clock
//! starts.

use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use anyhow::{Context, bail};
use clap::ValueEnum;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::jsonrpc::{Rpc, quantity};

/// Creation code of `e2e/contracts/Token.sol` (a minimal ERC-20), compiled with
/// `node e2e/compile.mjs Token` (solc-js 0.8.37, evmVersion cancun, optimizer 200 runs).
const TOKEN_CODE: &str = include_str!("token.hex");
/// `transfer(address,uint256)`.
const TRANSFER_SELECTOR: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// Creation code of `e2e/contracts/Heavy.sol` (hashing, fresh storage writes and an event per
/// call), compiled as `TOKEN_CODE` is.
const HEAVY_CODE: &str = include_str!("heavy.hex");
/// `work(uint256)`.
const WORK_SELECTOR: [u8; 4] = [0x58, 0x58, 0xd1, 0x61];
/// Gas limit of a `work` call (it uses about 130,000).
const WORK_GAS: u64 = 200_000;
/// Gas limit of a plain transfer.
const TRANSFER_GAS: u64 = 21_000;
/// Gas limit of a token transfer to a new holder (it uses about 52,000).
const TOKEN_TRANSFER_GAS: u64 = 60_000;
/// Gas limit of the token's deployment.
const DEPLOY_GAS: u64 = 1_500_000;
/// Priority fee of every transaction: 1 gwei.
const TIP: u128 = 1_000_000_000;
/// Fee cap above the base fee: blocks full of load raise the base fee by up to 12.5% each, and
/// a transaction whose cap falls below it would wait forever.
const FEE_HEADROOM: u128 = 100_000_000_000;
/// Funding transactions in flight from the funder at once: below the per-sender pool limits
/// of geth (64) and Cairn (64).
const FUND_CHUNK: usize = 50;
/// How long a funding chunk may take to be included.
const FUND_TIMEOUT: Duration = Duration::from_secs(120);

/// What the load transactions do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Mix {
    /// Plain ETH transfers of 1 wei to new addresses.
    Transfers,
    /// ERC-20 `transfer` calls of one token unit to new holders.
    Erc20,
    /// Calls of `Heavy.work`: 65 keccak rounds, four fresh storage slots, a shared counter and
    /// an event each.
    Contract,
}

impl Mix {
    /// The name `--mix` takes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mix::Transfers => "transfers",
            Mix::Erc20 => "erc20",
            Mix::Contract => "contract",
        }
    }

    /// Gas limit of one load transaction.
    fn gas(self) -> u64 {
        match self {
            Mix::Transfers => TRANSFER_GAS,
            Mix::Erc20 => TOKEN_TRANSFER_GAS,
            Mix::Contract => WORK_GAS,
        }
    }
}

/// One pre-signed load transaction.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// Its hash, which the chain reports in blocks.
    pub(crate) hash: B256,
    /// Its EIP-2718 encoding as `0x` hex, ready for `eth_sendRawTransaction`.
    pub(crate) raw: String,
    /// Which sender (index into the fresh keys) signed it.
    pub(crate) account: usize,
}

/// The chain facts every transaction needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chain {
    /// EIP-155 chain id.
    pub(crate) chain_id: u64,
    /// Fee cap of every transaction.
    pub(crate) max_fee: u128,
}

impl Chain {
    /// Reads the chain id and the head's base fee.
    pub(crate) async fn read(rpc: &Rpc) -> anyhow::Result<Self> {
        let chain_id = quantity(&rpc.call("eth_chainId", json!([])).await?)?;
        let head = rpc.call("eth_getBlockByNumber", json!(["latest", false])).await?;
        let base_fee = head.get("baseFeePerGas").map(quantity).transpose()?.unwrap_or(0);
        Ok(Self { chain_id, max_fee: 2 * u128::from(base_fee) + FEE_HEADROOM + TIP })
    }
}

/// `count` sender keys no one else uses: secret `keccak256("cairn-bench", seed, i)`.
pub(crate) fn fresh_keys(seed: u64, count: usize) -> anyhow::Result<Vec<PrivateKeySigner>> {
    (0..count as u64)
        .map(|i| {
            let secret = keccak256(
                [b"cairn-bench".as_slice(), &seed.to_be_bytes(), &i.to_be_bytes()].concat(),
            );
            PrivateKeySigner::from_bytes(&secret).context("derived key is not a valid secret")
        })
        .collect()
}

/// A recipient no one holds a key for, unique to (seed, sender, nonce), so every transfer
/// creates state as real payments to new users would.
fn recipient(seed: u64, account: usize, nonce: u64) -> Address {
    let hash = keccak256(
        [
            b"cairn-bench-to".as_slice(),
            &seed.to_be_bytes(),
            &(account as u64).to_be_bytes(),
            &nonce.to_be_bytes(),
        ]
        .concat(),
    );
    Address::from_slice(&hash[12..])
}

/// Signs `tx` with `signer` and encodes it.
fn sign(signer: &PrivateKeySigner, tx: TxEip1559, account: usize) -> anyhow::Result<Signed> {
    let signature = signer.sign_hash_sync(&tx.signature_hash())?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    let raw = format!("0x{}", hex::encode(envelope.encoded_2718()));
    Ok(Signed { hash: *envelope.tx_hash(), raw, account })
}

/// ABI encoding of `transfer(to, amount)`.
fn transfer_call(to: Address, amount: U256) -> Bytes {
    let mut data = Vec::with_capacity(68);
    data.extend_from_slice(&TRANSFER_SELECTOR);
    data.extend_from_slice(B256::left_padding_from(to.as_slice()).as_slice());
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data.into()
}

/// The funder: a funded key that pays for the senders and deploys the token.
pub(crate) struct Funder {
    signer: PrivateKeySigner,
    nonce: u64,
}

impl Funder {
    /// Starts from the funder's next nonce (counting its pending transactions).
    pub(crate) async fn new(rpc: &Rpc, signer: PrivateKeySigner) -> anyhow::Result<Self> {
        let nonce = next_nonce(rpc, signer.address()).await?;
        Ok(Self { signer, nonce })
    }

    fn next(&mut self, chain: Chain, to: TxKind, value: U256, input: Bytes, gas: u64) -> TxEip1559 {
        let tx = TxEip1559 {
            chain_id: chain.chain_id,
            nonce: self.nonce,
            gas_limit: gas,
            max_fee_per_gas: chain.max_fee,
            max_priority_fee_per_gas: TIP,
            to,
            value,
            input,
            ..Default::default()
        };
        self.nonce += 1;
        tx
    }

    /// Deploys the ERC-20 with `supply` units held by the funder; returns its address.
    pub(crate) async fn deploy_token(
        &mut self,
        rpc: &Rpc,
        chain: Chain,
        supply: U256,
    ) -> anyhow::Result<Address> {
        let mut code = hex::decode(TOKEN_CODE.trim()).context("token bytecode is not hex")?;
        code.extend_from_slice(&supply.to_be_bytes::<32>());
        self.deploy(rpc, chain, code).await
    }

    /// Deploys the contract-heavy mix's `Heavy`; returns its address.
    pub(crate) async fn deploy_heavy(
        &mut self,
        rpc: &Rpc,
        chain: Chain,
    ) -> anyhow::Result<Address> {
        let code = hex::decode(HEAVY_CODE.trim()).context("Heavy bytecode is not hex")?;
        self.deploy(rpc, chain, code).await
    }

    async fn deploy(&mut self, rpc: &Rpc, chain: Chain, code: Vec<u8>) -> anyhow::Result<Address> {
        let tx = self.next(chain, TxKind::Create, U256::ZERO, code.into(), DEPLOY_GAS);
        let signed = sign(&self.signer, tx, 0)?;
        let receipt = send_and_wait(rpc, &[signed]).await?;
        let address = receipt
            .get("contractAddress")
            .and_then(Value::as_str)
            .context("the deployment receipt names no contract address")?;
        address.parse().context("invalid contract address in the deployment receipt")
    }

    /// Sends each of `accounts` `ether` wei, and `tokens` units of `token` if given, in chunks
    /// the pool accepts from one sender, waiting for each chunk to be included.
    pub(crate) async fn fund(
        &mut self,
        rpc: &Rpc,
        chain: Chain,
        accounts: &[Address],
        ether: U256,
        token: Option<(Address, U256)>,
    ) -> anyhow::Result<()> {
        let mut txs = Vec::new();
        for &account in accounts {
            let tx = self.next(chain, TxKind::Call(account), ether, Bytes::new(), TRANSFER_GAS);
            txs.push(sign(&self.signer, tx, 0)?);
            if let Some((token, units)) = token {
                let call = transfer_call(account, units);
                let tx =
                    self.next(chain, TxKind::Call(token), U256::ZERO, call, TOKEN_TRANSFER_GAS);
                txs.push(sign(&self.signer, tx, 0)?);
            }
        }
        for chunk in txs.chunks(FUND_CHUNK) {
            send_and_wait(rpc, chunk).await?;
        }
        Ok(())
    }
}

/// The next nonce of `who`, counting its pending transactions.
pub(crate) async fn next_nonce(rpc: &Rpc, who: Address) -> anyhow::Result<u64> {
    quantity(&rpc.call("eth_getTransactionCount", json!([who, "pending"])).await?)
}

/// The next nonce of every one of `accounts`, in one batch.
pub(crate) async fn next_nonces(rpc: &Rpc, accounts: &[Address]) -> anyhow::Result<Vec<u64>> {
    let calls = accounts.iter().map(|a| ("eth_getTransactionCount", json!([a, "pending"])));
    rpc.batch(calls)
        .await?
        .into_iter()
        .map(|result| quantity(&result.map_err(anyhow::Error::msg)?))
        .collect()
}

/// Submits `txs` (one sender, consecutive nonces) and waits until the last one has a receipt,
/// which it returns; fails if any is refused or the last one failed.
async fn send_and_wait(rpc: &Rpc, txs: &[Signed]) -> anyhow::Result<Value> {
    let calls = txs.iter().map(|tx| ("eth_sendRawTransaction", json!([tx.raw])));
    for (tx, result) in txs.iter().zip(rpc.batch(calls).await?) {
        if let Err(message) = result {
            bail!("funding transaction {} refused: {message}", tx.hash);
        }
    }
    let last = txs.last().context("nothing to send")?;
    let deadline = Instant::now() + FUND_TIMEOUT;
    loop {
        let receipt = rpc.call("eth_getTransactionReceipt", json!([last.hash])).await?;
        if !receipt.is_null() {
            if receipt.get("status").map(quantity).transpose()? != Some(1) {
                bail!("funding transaction {} failed: {receipt}", last.hash);
            }
            return Ok(receipt);
        }
        if Instant::now() > deadline {
            bail!("funding transaction {} not included within {FUND_TIMEOUT:?}", last.hash);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the senders will spend: per transaction its gas at the fee cap plus the value sent.
pub(crate) fn cost_per_tx(mix: Mix, chain: Chain) -> U256 {
    U256::from(u128::from(mix.gas()) * chain.max_fee + 1)
}

/// ABI encoding of `work(salt)`.
fn work_call(salt: B256) -> Bytes {
    [WORK_SELECTOR.as_slice(), salt.as_slice()].concat().into()
}

/// Signs `count` load transactions (in parallel): nonce level by level, one transaction per
/// sender per level, so consecutive batches spread over every sender and each sender's
/// nonces go out in order. `nonces` are the senders' next nonces; `contract` is the deployed
/// contract the ERC-20 and contract mixes call.
pub(crate) fn sign_load(
    keys: &[PrivateKeySigner],
    nonces: &[u64],
    count: usize,
    mix: Mix,
    contract: Option<Address>,
    chain: Chain,
    seed: u64,
) -> anyhow::Result<Vec<Signed>> {
    let order: Vec<(usize, u64)> = (0u64..)
        .flat_map(|level| (0..keys.len()).map(move |account| (account, level)))
        .take(count)
        .collect();
    order
        .into_par_iter()
        .map(|(account, level)| {
            let nonce = nonces[account] + level;
            let to = recipient(seed, account, nonce);
            let (kind, value, input) = match (mix, contract) {
                (Mix::Transfers, _) => (TxKind::Call(to), U256::from(1), Bytes::new()),
                (Mix::Erc20, Some(token)) => {
                    (TxKind::Call(token), U256::ZERO, transfer_call(to, U256::from(1)))
                }
                (Mix::Contract, Some(heavy)) => {
                    (TxKind::Call(heavy), U256::ZERO, work_call(to.into_word()))
                }
                (Mix::Erc20 | Mix::Contract, None) => {
                    bail!("the {} mix needs a deployed contract", mix.name())
                }
            };
            let tx = TxEip1559 {
                chain_id: chain.chain_id,
                nonce,
                gas_limit: mix.gas(),
                max_fee_per_gas: chain.max_fee,
                max_priority_fee_per_gas: TIP,
                to: kind,
                value,
                input,
                ..Default::default()
            };
            sign(&keys[account], tx, account)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_consensus::Transaction;
    use alloy_consensus::transaction::SignerRecoverable;
    use alloy_eips::eip2718::Decodable2718;

    use super::*;

    const CHAIN: Chain = Chain { chain_id: 1337, max_fee: 2 * TIP };

    #[test]
    fn load_goes_level_by_level_in_nonce_order() {
        let keys = fresh_keys(7, 3).expect("keys");
        let load = sign_load(&keys, &[5, 0, 9], 7, Mix::Transfers, None, CHAIN, 7).expect("signs");
        let accounts: Vec<usize> = load.iter().map(|tx| tx.account).collect();
        assert_eq!(accounts, [0, 1, 2, 0, 1, 2, 0]);
        let nonces: Vec<u64> = load
            .iter()
            .map(|tx| {
                let bytes = hex::decode(&tx.raw[2..]).expect("hex");
                let envelope = TxEnvelope::decode_2718(&mut bytes.as_slice()).expect("decodes");
                assert_eq!(*envelope.tx_hash(), tx.hash);
                assert_eq!(envelope.recover_signer().expect("signed"), keys[tx.account].address());
                envelope.nonce()
            })
            .collect();
        assert_eq!(nonces, [5, 0, 9, 6, 1, 10, 7]);
    }

    #[test]
    fn erc20_load_calls_the_token() {
        let keys = fresh_keys(1, 1).expect("keys");
        let token = Address::repeat_byte(0x70);
        let load = sign_load(&keys, &[0], 1, Mix::Erc20, Some(token), CHAIN, 1).expect("signs");
        let bytes = hex::decode(&load[0].raw[2..]).expect("hex");
        let envelope = TxEnvelope::decode_2718(&mut bytes.as_slice()).expect("decodes");
        assert_eq!(envelope.to(), Some(token));
        assert_eq!(envelope.input()[..4], TRANSFER_SELECTOR);
        assert_eq!(envelope.input().len(), 68);
        assert!(sign_load(&keys, &[0], 1, Mix::Erc20, None, CHAIN, 1).is_err());
    }

    #[test]
    fn contract_load_calls_work_with_a_distinct_salt() {
        assert_eq!(WORK_SELECTOR, keccak256("work(uint256)")[..4]);
        let keys = fresh_keys(2, 2).expect("keys");
        let heavy = Address::repeat_byte(0x71);
        let load =
            sign_load(&keys, &[0, 0], 2, Mix::Contract, Some(heavy), CHAIN, 2).expect("signs");
        let inputs: Vec<Bytes> = load
            .iter()
            .map(|tx| {
                let bytes = hex::decode(&tx.raw[2..]).expect("hex");
                let envelope = TxEnvelope::decode_2718(&mut bytes.as_slice()).expect("decodes");
                assert_eq!(envelope.to(), Some(heavy));
                assert_eq!(envelope.gas_limit(), WORK_GAS);
                envelope.input().clone()
            })
            .collect();
        assert!(inputs.iter().all(|input| input.len() == 36 && input[..4] == WORK_SELECTOR));
        assert_ne!(inputs[0], inputs[1]);
        assert!(sign_load(&keys, &[0], 1, Mix::Contract, None, CHAIN, 1).is_err());
    }
}
