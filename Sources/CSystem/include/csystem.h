#ifndef INTAKE_CSYSTEM_H
#define INTAKE_CSYSTEM_H
#include <sys/types.h>

/// Makes standard output line-buffered; Swift 6 cannot pass the global `stdout` to setvbuf.
void intake_stdout_line_buffered(void);

/// Starts `path` with `argv` and `envp` in a new process group, with an empty signal mask and
/// default signal dispositions, so that SIGTERM reaches it even though the calling thread
/// blocks signals. `stdin_fd`, `stdout_fd` and `stderr_fd` become its fds 0, 1 and 2 (-1
/// leaves /dev/null). Returns the child's pid, or -errno when it could not be started.
pid_t intake_spawn(const char *path, char *const argv[], char *const envp[],
                   int stdin_fd, int stdout_fd, int stderr_fd, const char *cwd);

/// Opens a close-on-exec AF_UNIX datagram socket; returns it, or -errno. (Glibc declares
/// SOCK_DGRAM as an enum case that Swift does not import the same way in every build mode.)
int intake_unix_datagram_socket(void);

/// Creates a pipe whose ends are close-on-exec; returns 0 or -errno.
int intake_pipe_cloexec(int fds[2]);
/// Stores statfs(2)'s f_type of `path` in `type`; returns 0 or -errno.
int intake_statfs_type(const char *path, long long *type);

/// Renames `from` to `to` unless `to` exists (renameat2 with RENAME_NOREPLACE, which Glibc's
/// Swift module does not show); returns 0 or -errno (-EEXIST when `to` exists).
int intake_rename_noreplace(const char *from, const char *to);

/// Opens an unnamed regular file in `folder` for writing (open with O_TMPFILE); returns the
/// descriptor (close-on-exec) or -errno (-EOPNOTSUPP or -EISDIR where the file system has none).
int intake_open_tmpfile(const char *folder, unsigned int mode);
/// Gives the unnamed file open as `fd` the name `to` (linkat through /proc/self/fd, which
/// needs no capability); returns 0 or -errno (-EEXIST when `to` exists).
int intake_link_descriptor(int fd, const char *to);
/// Flushes every written byte and name of the file system holding `fd` (syncfs); returns 0
/// or -errno, including a writeback error of any file on it since `fd` was opened.
int intake_syncfs(int fd);
/// Starts writing `length` bytes of `fd` from `offset` to the disk without waiting
/// (sync_file_range with SYNC_FILE_RANGE_WRITE); returns 0 or -errno.
int intake_start_writeback(int fd, long long offset, long long length);
/// Copies into `buffer` (of `size` bytes) the path of the shared object that holds `address`
/// (dladdr, which Glibc's Swift module does not show); returns 0, or -1 when no loaded object
/// holds it or the path does not fit.
int intake_object_path(const void *address, char *buffer, unsigned long size);
#endif
