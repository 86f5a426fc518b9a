/* What the text and the binary protocol cost the client and the server for the same SELECTs
 * (docs/benchmarks.md, "Text vs binary protocol").
 *
 *   read_protocol [--text | --binary | --format | --compare] [--server-pid PID]
 *                 DEFAULTS_FILE SQL_FILE
 *
 * Connects with the [client] group of DEFAULTS_FILE (no password on argv), sets
 * character_set_results = binary (as omsdump) and runs each line of SQL_FILE as one SELECT,
 * streaming its rows:
 *   --text     mysql_real_query + mysql_use_result + mysql_fetch_row, as omsdump reads a chunk
 *              (the default; the same work as bench/read_limit.c);
 *   --binary   a prepared statement: mysql_stmt_prepare + mysql_stmt_execute (no server-side
 *              cursor, no mysql_stmt_store_result, so rows stream as with mysql_use_result) +
 *              mysql_stmt_fetch into buffers of each column's own type (integers as integers,
 *              temporals as MYSQL_TIME, DOUBLE as double; DECIMAL, strings, BIT and blobs come
 *              as bytes in both protocols); a value longer than its buffer is fetched again with
 *              mysql_stmt_fetch_column into a buffer grown to fit;
 *   --format   --binary, then writes every non-string value as text the way the archive needs
 *              it (what omsdump would have to do with binary rows): integers in decimal,
 *              temporals as YYYY-MM-DD hh:mm:ss[.fraction] with the column's decimals, doubles
 *              with the first of %.15g, %.16g, %.17g that reads back the same (an
 *              approximation of the server's text: --compare counts where it differs);
 *   --compare  --format, and the same query through the text protocol on a second connection,
 *              read row by row beside it: counts the values whose formatted text differs from
 *              the server's text, and prints the first few.
 * Rows are discarded.  Prints "rows bytes" to stdout (bytes: the text protocol's value lengths;
 * with --binary the lengths of what arrived, 8 for an integer, sizeof(MYSQL_TIME) for a date).
 * With --server-pid it also prints, for each line, to stderr: rows, this process's CPU seconds
 * and the server's (utime + stime of /proc/PID/stat) spent on it, and the wall seconds.
 * Exit status 1 on any error (and with --compare on any difference).
 *
 * Build: cc -O2 bench/read_protocol.c $(pkg-config --cflags --libs libmariadb)
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum mode { TEXT, BINARY, FORMAT, COMPARE };

static int fail(MYSQL *m, const char *what) {
  fprintf(stderr, "read_protocol: %s: %s\n", what, m ? mysql_error(m) : "out of memory");
  return 1;
}
static int stmt_fail(MYSQL_STMT *s, const char *what) {
  fprintf(stderr, "read_protocol: %s: %s\n", what, mysql_stmt_error(s));
  return 1;
}

static double self_cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}
static double server_cpu(long pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  unsigned long long ut = 0, st = 0;
  /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  if (p) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
  return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static MYSQL *connect_to(const char *defaults) {
  MYSQL *m = mysql_init(NULL);
  if (!m) return NULL;
  mysql_options(m, MYSQL_READ_DEFAULT_FILE, defaults);
  mysql_options(m, MYSQL_READ_DEFAULT_GROUP, "client");
  if (!mysql_real_connect(m, NULL, NULL, NULL, NULL, 0, NULL, 0) ||
      mysql_query(m, "SET SESSION character_set_results = binary")) {
    fail(m, "connect");
    return NULL;
  }
  return m;
}

/* ------------------------------------------------------------------ text of binary values */

static char *put_uint(char *p, unsigned long long v) {
  char t[24];
  int n = 0;
  do t[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) *p++ = t[--n];
  return p;
}
static char *put_digits(char *p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = (char)('0' + v % 10);
  return p + width;
}

/* Writes the value of a bound column as text into out; returns its length. */
static size_t format_value(const MYSQL_FIELD *f, const MYSQL_BIND *b, char *out) {
  char *p = out;
  int uns = (f->flags & UNSIGNED_FLAG) != 0;
  switch (b->buffer_type) {
    case MYSQL_TYPE_TINY: {
      long long v = uns ? (long long)*(unsigned char *)b->buffer : *(signed char *)b->buffer;
      if (v < 0) { *p++ = '-'; v = -v; }
      return (size_t)(put_uint(p, (unsigned long long)v) - out);
    }
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_YEAR: {
      long long v = uns ? (long long)*(unsigned short *)b->buffer : *(short *)b->buffer;
      if (b->buffer_type == MYSQL_TYPE_YEAR) return (size_t)(put_digits(p, (unsigned)v, 4) - out);
      if (v < 0) { *p++ = '-'; v = -v; }
      return (size_t)(put_uint(p, (unsigned long long)v) - out);
    }
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24: {
      long long v = uns ? (long long)*(unsigned int *)b->buffer : *(int *)b->buffer;
      if (v < 0) { *p++ = '-'; v = -v; }
      return (size_t)(put_uint(p, (unsigned long long)v) - out);
    }
    case MYSQL_TYPE_LONGLONG: {
      if (uns) return (size_t)(put_uint(p, *(unsigned long long *)b->buffer) - out);
      long long v = *(long long *)b->buffer;
      if (v < 0) { *p++ = '-'; return (size_t)(put_uint(p, 0ULL - (unsigned long long)v) - out); }
      return (size_t)(put_uint(p, (unsigned long long)v) - out);
    }
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE: {
      double d = b->buffer_type == MYSQL_TYPE_FLOAT ? *(float *)b->buffer : *(double *)b->buffer;
      for (int prec = 15; prec < 17; ++prec) {
        int n = snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d) return (size_t)n;
      }
      return (size_t)snprintf(out, 40, "%.17g", d);
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIME: {
      const MYSQL_TIME *t = b->buffer;
      if (b->buffer_type != MYSQL_TYPE_TIME) {
        p = put_digits(p, t->year, 4); *p++ = '-';
        p = put_digits(p, t->month, 2); *p++ = '-';
        p = put_digits(p, t->day, 2);
        if (b->buffer_type == MYSQL_TYPE_DATE) return (size_t)(p - out);
        *p++ = ' ';
        p = put_digits(p, t->hour, 2);
      } else {
        if (t->neg) *p++ = '-';
        unsigned h = t->day * 24 + t->hour;
        p = h > 99 ? put_uint(p, h) : put_digits(p, h, 2);
      }
      *p++ = ':'; p = put_digits(p, t->minute, 2);
      *p++ = ':'; p = put_digits(p, t->second, 2);
      if (f->decimals > 0 && f->decimals <= 6) {
        *p++ = '.';
        unsigned long frac = t->second_part;
        for (unsigned k = f->decimals; k < 6; ++k) frac /= 10;
        p = put_digits(p, (unsigned)frac, (int)f->decimals);
      }
      return (size_t)(p - out);
    }
    default:  /* bytes: DECIMAL, strings, BIT, blobs */
      memcpy(out, b->buffer, *b->length);
      return *b->length;
  }
}

/* ------------------------------------------------------------------ one query, each way */

struct col {
  unsigned long length;
  my_bool is_null, error;
  size_t cap;
  void *buf;
};

static int run_text(MYSQL *m, const char *sql, size_t len, unsigned long long *rows,
                    unsigned long long *bytes) {
  if (mysql_real_query(m, sql, (unsigned long)len)) return fail(m, sql);
  MYSQL_RES *res = mysql_use_result(m);
  if (!res) return mysql_field_count(m) == 0 ? 0 : fail(m, sql);
  unsigned n = mysql_num_fields(res);
  while (mysql_fetch_row(res)) {
    unsigned long *l = mysql_fetch_lengths(res);
    for (unsigned i = 0; i < n; i++) *bytes += l[i];
    ++*rows;
  }
  if (mysql_errno(m)) return fail(m, sql);
  mysql_free_result(res);
  return 0;
}

static size_t fixed_size(enum enum_field_types t) {
  switch (t) {
    case MYSQL_TYPE_TINY: return 1;
    case MYSQL_TYPE_SHORT: case MYSQL_TYPE_YEAR: return 2;
    case MYSQL_TYPE_LONG: case MYSQL_TYPE_INT24: return 4;
    case MYSQL_TYPE_FLOAT: return 4;
    case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_DOUBLE: return 8;
    case MYSQL_TYPE_DATE: case MYSQL_TYPE_DATETIME: case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIME: return sizeof(MYSQL_TIME);
    default: return 0;
  }
}

static long long differences;

static int run_binary(MYSQL *m, MYSQL *text, enum mode mode, const char *sql, size_t len,
                      unsigned long long *rows, unsigned long long *bytes) {
  MYSQL_STMT *s = mysql_stmt_init(m);
  if (!s) return fail(m, "mysql_stmt_init");
  if (mysql_stmt_prepare(s, sql, (unsigned long)len)) return stmt_fail(s, sql);
  MYSQL_RES *meta = mysql_stmt_result_metadata(s);
  if (!meta) return stmt_fail(s, "no result set");
  unsigned n = mysql_num_fields(meta);
  MYSQL_FIELD *fields = mysql_fetch_fields(meta);
  MYSQL_BIND *bind = calloc(n, sizeof *bind);
  struct col *c = calloc(n, sizeof *c);
  if (!bind || !c) return fail(NULL, "calloc");
  for (unsigned i = 0; i < n; i++) {
    size_t fs = fixed_size(fields[i].type);
    bind[i].buffer_type = fs ? fields[i].type : MYSQL_TYPE_STRING;
    bind[i].is_unsigned = (fields[i].flags & UNSIGNED_FLAG) != 0;
    c[i].cap = fs ? fs : 256;
    c[i].buf = malloc(c[i].cap);
    bind[i].buffer = c[i].buf;
    bind[i].buffer_length = (unsigned long)c[i].cap;
    bind[i].length = &c[i].length;
    bind[i].is_null = &c[i].is_null;
    bind[i].error = &c[i].error;
  }
  if (mysql_stmt_execute(s)) return stmt_fail(s, sql);
  if (mysql_stmt_bind_result(s, bind)) return stmt_fail(s, "bind");
  MYSQL_RES *tres = NULL;
  if (text) {
    if (mysql_real_query(text, sql, (unsigned long)len)) return fail(text, sql);
    if (!(tres = mysql_use_result(text))) return fail(text, sql);
  }
  char *scratch = NULL;
  size_t scratch_cap = 0;
  int rc;
  while ((rc = mysql_stmt_fetch(s)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
    if (rc == MYSQL_DATA_TRUNCATED) {
      for (unsigned i = 0; i < n; i++) {
        if (!c[i].error) continue;
        c[i].cap = c[i].length + (c[i].length >> 1);
        c[i].buf = realloc(c[i].buf, c[i].cap);
        if (!c[i].buf) return fail(NULL, "realloc");
        bind[i].buffer = c[i].buf;
        bind[i].buffer_length = (unsigned long)c[i].cap;
        if (mysql_stmt_fetch_column(s, &bind[i], i, 0)) return stmt_fail(s, "fetch_column");
      }
      if (mysql_stmt_bind_result(s, bind)) return stmt_fail(s, "bind");
    }
    MYSQL_ROW trow = NULL;
    unsigned long *tlen = NULL;
    if (tres) {
      if (!(trow = mysql_fetch_row(tres))) return fail(text, "text result ended first");
      tlen = mysql_fetch_lengths(tres);
    }
    for (unsigned i = 0; i < n; i++) {
      if (c[i].is_null) {
        if (trow && trow[i]) ++differences;
        continue;
      }
      *bytes += c[i].length;
      if (mode == BINARY) continue;
      if (scratch_cap < c[i].length + 64) {
        scratch_cap = c[i].length + 64 + (c[i].length >> 1);
        if (!(scratch = realloc(scratch, scratch_cap))) return fail(NULL, "realloc");
      }
      size_t k = format_value(&fields[i], &bind[i], scratch);
      if (trow && (!trow[i] || tlen[i] != k || memcmp(trow[i], scratch, k) != 0)) {
        if (differences++ < 10)
          fprintf(stderr, "read_protocol: differs: %s: text '%.*s', binary formatted '%.*s'\n",
                  fields[i].name, trow[i] ? (int)tlen[i] : 4, trow[i] ? trow[i] : "NULL", (int)k,
                  scratch);
      }
    }
    ++*rows;
  }
  if (rc != MYSQL_NO_DATA) return stmt_fail(s, sql);
  if (tres) {
    if (mysql_fetch_row(tres)) return fail(text, "binary result ended first");
    mysql_free_result(tres);
  }
  free(scratch);
  for (unsigned i = 0; i < n; i++) free(c[i].buf);
  free(c);
  free(bind);
  mysql_free_result(meta);
  mysql_stmt_close(s);
  return 0;
}

int main(int argc, char **argv) {
  enum mode mode = TEXT;
  long server_pid = 0;
  int a = 1;
  for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
    if (!strcmp(argv[a], "--text")) mode = TEXT;
    else if (!strcmp(argv[a], "--binary")) mode = BINARY;
    else if (!strcmp(argv[a], "--format")) mode = FORMAT;
    else if (!strcmp(argv[a], "--compare")) mode = COMPARE;
    else if (!strcmp(argv[a], "--server-pid") && a + 1 < argc) server_pid = atol(argv[++a]);
    else break;
  }
  if (argc - a != 2) {
    fprintf(stderr, "usage: read_protocol [--text | --binary | --format | --compare] "
                    "[--server-pid PID] DEFAULTS_FILE SQL_FILE\n");
    return 2;
  }
  FILE *in = fopen(argv[a + 1], "r");
  if (!in) {
    perror(argv[a + 1]);
    return 1;
  }
  MYSQL *m = connect_to(argv[a]);
  MYSQL *text = mode == COMPARE ? connect_to(argv[a]) : NULL;
  if (!m || (mode == COMPARE && !text)) return 1;

  unsigned long long rows = 0, bytes = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, in)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ';' || line[len - 1] == ' ')) line[--len] = 0;
    if (len == 0) continue;
    unsigned long long r0 = rows;
    double c0 = self_cpu(), s0 = server_pid ? server_cpu(server_pid) : 0, w0 = now();
    int rc = mode == TEXT ? run_text(m, line, (size_t)len, &rows, &bytes)
                          : run_binary(m, text, mode, line, (size_t)len, &rows, &bytes);
    if (rc) return rc;
    if (server_pid)
      fprintf(stderr, "%llu\t%.2f\t%.2f\t%.2f\t%s\n", rows - r0, self_cpu() - c0,
              server_cpu(server_pid) - s0, now() - w0, line);
  }
  free(line);
  fclose(in);
  if (text) mysql_close(text);
  mysql_close(m);
  printf("%llu %llu\n", rows, bytes);
  if (mode == COMPARE) {
    fprintf(stderr, "read_protocol: %lld values differ\n", differences);
    return differences != 0;
  }
  return 0;
}
