package dev.gatehouse.proxy.observe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A real file on a disk that fills up after {@code capacity} bytes: a write takes what fits and
 * reports that many bytes written (a short write, as the kernel's), the next one fails with
 * "No space left on device". Only the writes the access log makes are limited. It remembers the
 * most bytes one write was given, so a test can see how the writer cuts its work.
 */
final class FullDiskFile extends FileChannel {
    private final FileChannel file;
    private long left;
    private long largestWrite;

    FullDiskFile(Path path, long capacity) throws IOException {
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        this.left = capacity;
    }

    @Override
    public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long given = 0;
        for (int i = offset; i < offset + length; i++) {
            given += srcs[i].remaining();
        }
        largestWrite = Math.max(largestWrite, given);
        if (left == 0) {
            throw new IOException("No space left on device");
        }
        long written = 0;
        for (int i = offset; i < offset + length && left > 0; i++) {
            ByteBuffer src = srcs[i];
            int n = (int) Math.min(src.remaining(), left);
            ByteBuffer part = src.slice(src.position(), n);
            while (part.hasRemaining()) {
                file.write(part);
            }
            src.position(src.position() + n);
            left -= n;
            written += n;
        }
        return written;
    }

    /** The most bytes one write was asked to take. */
    synchronized long largestWrite() {
        return largestWrite;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return file.read(dsts, offset, length);
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        file.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException("transferFrom");
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) {
        throw new UnsupportedOperationException("positional write");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("map");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        file.close();
    }
}
