//! Sync requests and responses on the wire: one length-prefixed frame each (a 4-byte
//! big-endian length, then the bytes), bounded before anything is allocated.

use std::io;

use async_trait::async_trait;
use bytes::Bytes;
use libp2p::{
    StreamProtocol,
    futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    request_response,
};

/// The sync protocol's name.
pub(crate) const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/cairn/sync/1");
/// Largest sync request: a range of heights, far below this.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Frames sync messages; responses up to `max_response_bytes`.
#[derive(Debug, Clone)]
pub(crate) struct SyncCodec {
    pub(crate) max_response_bytes: usize,
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, max: usize) -> io::Result<Bytes> {
    let mut length = [0u8; 4];
    io.read_exact(&mut length).await?;
    let length = u32::from_be_bytes(length) as usize;
    if length > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a sync frame of {length} bytes exceeds the {max}-byte limit"),
        ));
    }
    let mut data = vec![0u8; length];
    io.read_exact(&mut data).await?;
    Ok(Bytes::from(data))
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    data: &[u8],
    max: usize,
) -> io::Result<()> {
    let length = u32::try_from(data.len())
        .ok()
        .filter(|length| *length as usize <= max)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a sync frame of {} bytes exceeds the {max}-byte limit", data.len()),
            )
        })?;
    io.write_all(&length.to_be_bytes()).await?;
    io.write_all(data).await?;
    io.close().await
}

#[async_trait]
impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Bytes;
    type Response = Bytes;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Bytes>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, MAX_REQUEST_BYTES).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Bytes>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response_bytes).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Bytes,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &request, MAX_REQUEST_BYTES).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Bytes,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &response, self.max_response_bytes).await
    }
}

#[cfg(test)]
mod tests {
    use libp2p::futures::io::Cursor;
    use request_response::Codec;

    use super::*;

    #[tokio::test]
    async fn a_frame_reads_back_and_an_oversized_one_is_refused_unread() {
        let mut codec = SyncCodec { max_response_bytes: 8 };
        let mut wire = Cursor::new(Vec::new());
        codec
            .write_response(&SYNC_PROTOCOL, &mut wire, Bytes::from_static(b"block"))
            .await
            .expect("fits");
        wire.set_position(0);
        let read = codec.read_response(&SYNC_PROTOCOL, &mut wire).await.expect("reads");
        assert_eq!(read, Bytes::from_static(b"block"));

        let too_big = Bytes::from(vec![0u8; 9]);
        let mut wire = Cursor::new(Vec::new());
        assert!(codec.write_response(&SYNC_PROTOCOL, &mut wire, too_big).await.is_err());

        // A hostile peer announcing 4 GiB: refused from the length alone.
        let mut wire = Cursor::new(u32::MAX.to_be_bytes().to_vec());
        let error = codec.read_response(&SYNC_PROTOCOL, &mut wire).await.expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
