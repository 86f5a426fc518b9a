// libFuzzer target: RowDecoder (the archive's escaped-TSV row dialect) on arbitrary bytes,
// fed in pieces, then a RowEncoder round trip.
//
// Input layout: byte 0 is a header:
//   bits 0-2  k, the number of explicit pieces (0..7); bytes 1..k are their lengths (0..255,
//             clamped to what is left);
//   bit 3     after the explicit pieces, feed the rest one byte at a time (else in one piece).
// The bytes after the header are the row stream. (An empty input is an empty stream.)
//
// A normal rejection is an omsbackup::Error of kind corrupt_archive. Findings (abort): any
// other exception or Error kind, and when the stream decodes:
//   - re-encoding the rows with RowEncoder gives bytes that do not decode, or decode to other
//     rows, or whose decode-side ContentDigest differs from the encode-side one;
//   - encoding is not canonical (re-encoding the re-decoded rows changes the bytes);
//   - the input already was in canonical form but its digest differs from the re-encoded one;
//   - rows() or consumed() disagree with what was decoded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "codec/content_digest.h"
#include "codec/row.h"
#include "codec/row_decoder.h"
#include "codec/row_encoder.h"
#include "omsbackup/error.h"
#include "finding.h"

using namespace omsbackup;

namespace {

using omsbackup::fuzz::finding;

struct Decoded {
  std::vector<Row> rows;
  ContentDigest digest{DigestKind::xxh3_128_sum};  // over RowDecoder::encoded_row(), as restore computes it
};

// Decodes `stream` fed as `pieces` (lengths; the rest goes in one piece, or byte by byte when
// `bytewise`). Throws what RowDecoder throws.
Decoded decode(std::string_view stream, const std::vector<std::size_t>& pieces, bool bytewise) {
  RowDecoder dec("fuzz input");
  Decoded out;
  Row row;
  auto feed = [&](std::string_view piece) {
    dec.feed(piece);
    while (dec.next_row(row)) {
      out.rows.push_back(row);
      out.digest.add_row(dec.encoded_row());
    }
  };
  std::string_view rest = stream;
  for (std::size_t len : pieces) {
    std::size_t n = std::min(len, rest.size());
    feed(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  if (bytewise) {
    for (std::size_t i = 0; i < rest.size(); ++i) feed(rest.substr(i, 1));
  } else {
    feed(rest);
  }
  dec.finish();
  if (dec.rows() != out.rows.size()) finding("rows() disagrees with the rows returned");
  if (dec.consumed() != stream.size()) {
    finding("consumed() is " + std::to_string(dec.consumed()) + " after finish() of a " +
            std::to_string(stream.size()) + "-byte stream");
  }
  return out;
}

struct Encoded {
  std::string bytes;
  ContentDigest digest{DigestKind::xxh3_128_sum};  // over RowEncoder::last_row(), as dump computes it
};

Encoded encode(const std::vector<Row>& rows) {
  RowEncoder enc;
  Encoded out;
  for (const Row& r : rows) {
    enc.add_row(r);
    out.digest.add_row(enc.last_row());
  }
  out.bytes = enc.buffer();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::size_t> pieces;
  bool bytewise = false;
  if (!input.empty()) {
    unsigned header = static_cast<unsigned char>(input[0]);
    input.remove_prefix(1);
    std::size_t k = std::min<std::size_t>(header & 7u, input.size());
    for (std::size_t i = 0; i < k; ++i) pieces.push_back(static_cast<unsigned char>(input[i]));
    input.remove_prefix(k);
    bytewise = (header & 8u) != 0;
  }

  try {
    Decoded first;
    try {
      first = decode(input, pieces, bytewise);
    } catch (const Error& e) {
      if (e.code() == Errc::corrupt_archive) return 0;
      finding(std::string("decoding threw an Error of kind ") + errc_name(e.code()) + ": " +
              e.what());
    }

    Encoded enc = encode(first.rows);
    Decoded second;
    try {
      second = decode(enc.bytes, pieces, bytewise);
    } catch (const Error& e) {
      finding(std::string("RowDecoder rejects what RowEncoder wrote: ") + e.what());
    }
    if (second.rows != first.rows) finding("re-encoded rows decode to different rows");
    if (!(second.digest == enc.digest)) {
      finding("decode-side digest " + second.digest.sum_hex() + " != encode-side digest " +
              enc.digest.sum_hex() + " for the same bytes");
    }
    if (encode(second.rows).bytes != enc.bytes) finding("encoding is not canonical");
    // Non-canonical input (raw NUL/CR/0x1A, \b) legitimately has another digest: the digest
    // is over the encoded bytes. Canonical input must agree.
    if (enc.bytes == input && !(first.digest == enc.digest)) {
      finding("canonical input: decode-side digest " + first.digest.sum_hex() +
              " != encode-side digest " + enc.digest.sum_hex());
    }
  } catch (const Error& e) {
    finding(std::string("unexpected omsbackup::Error: ") + e.what());
  } catch (const std::exception& e) {
    finding(std::string("exception other than omsbackup::Error: ") + e.what());
  } catch (...) {
    finding("exception of unknown type");
  }
  return 0;
}
