/* The read limit of bench/run.sh: the least a client can do with the rows of a dump.
 *
 *   read_limit DEFAULTS_FILE SQL_FILE
 *
 * Connects with the [client] group of DEFAULTS_FILE (no password on argv), runs each line of
 * SQL_FILE as one query, streams its rows (mysql_use_result, as omsdump and mydumper do, with
 * character_set_results = binary, as omsdump) and discards them, touching only each row's
 * field lengths.  Prints "rows bytes" to stdout.  Exit status 1 on any error.
 *
 * Build: cc -O2 bench/read_limit.c $(pkg-config --cflags --libs libmariadb)
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(MYSQL *m, const char *what) {
  fprintf(stderr, "read_limit: %s: %s\n", what, m ? mysql_error(m) : "out of memory");
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: read_limit DEFAULTS_FILE SQL_FILE\n");
    return 2;
  }
  FILE *in = fopen(argv[2], "r");
  if (!in) {
    perror(argv[2]);
    return 1;
  }
  MYSQL *m = mysql_init(NULL);
  if (!m) return fail(NULL, "mysql_init");
  mysql_options(m, MYSQL_READ_DEFAULT_FILE, argv[1]);
  mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
  if (!mysql_real_connect(m, NULL, NULL, NULL, NULL, 0, NULL, 0)) return fail(m, "connect");
  if (mysql_query(m, "SET SESSION character_set_results = binary")) return fail(m, "SET");

  unsigned long long rows = 0, bytes = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, in)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ';' || line[len - 1] == ' ')) line[--len] = 0;
    if (len == 0) continue;
    if (mysql_real_query(m, line, (unsigned long)len)) return fail(m, line);
    MYSQL_RES *res = mysql_use_result(m);
    if (!res) {
      if (mysql_field_count(m) == 0) continue;
      return fail(m, line);
    }
    unsigned n = mysql_num_fields(res);
    while (mysql_fetch_row(res)) {
      unsigned long *l = mysql_fetch_lengths(res);
      for (unsigned i = 0; i < n; i++) bytes += l[i];
      rows++;
    }
    if (mysql_errno(m)) return fail(m, line);
    mysql_free_result(res);
  }
  free(line);
  fclose(in);
  mysql_close(m);
  printf("%llu %llu\n", rows, bytes);
  return 0;
}
