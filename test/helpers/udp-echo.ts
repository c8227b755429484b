// A UDP server for containers, since Debian's busybox has none: a static
// C program, compiled here, that prints each datagram and echoes it back.
import { staticBinary } from './c-binary.ts';

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

/** The `udp-echo PORT` binary. */
export function udpEchoBinary(): Buffer {
  return staticBinary('udp-echo', SOURCE);
}
