// A UDP server for containers, since Debian's busybox has none: a static
// C program, compiled here, that prints each datagram and echoes it back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = `
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = INADDR_ANY };
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); return 1; }
  char buf[65536];
  for (;;) {
    struct sockaddr_in from; socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n < 0) continue;
    fwrite(buf, 1, n, stdout); fflush(stdout);
    sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
  }
}
`;

/** The `udp-echo PORT` binary, built with the machine's C compiler (static, so any rootfs runs it). */
export function udpEchoBinary(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'berth-udp-echo-'));
  try {
    writeFileSync(join(dir, 'udp-echo.c'), SOURCE);
    execFileSync('cc', ['-static', '-O2', '-o', join(dir, 'udp-echo'), join(dir, 'udp-echo.c')]);
    return readFileSync(join(dir, 'udp-echo'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
