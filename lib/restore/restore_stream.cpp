// A restore from a stream (`omsrestore -`, or a stream file): the stream is spooled into a
// private directory and unpacked there, the spooled archive is verified like any other,
// and only then is the server touched. Nothing is restored from a stream that has not
// arrived whole (docs/restore.md, "Restoring from a stream").
#include <fmt/format.h>

#include "archive/archive_stream.h"
#include "omsbackup/error.h"
#include "restore/restore_pipeline.h"

namespace omsbackup {

RestoreReport run_restore_from_stream(Env& env, const RestoreOptions& options) {
  SpooledArchive spooled(env, options.archive, options.spool_dir);
  RestoreOptions o = options;
  o.archive = spooled.dir();
  try {
    return run_restore(env, o);
  } catch (const Error& e) {
    std::string journal = o.journal.empty() ? spooled.dir() + ".restore-journal" : o.journal;
    if (!env.stat(journal)) throw;  // nothing to resume: the spool goes
    // The restore began: its journal needs the archive to resume.
    spooled.keep();
    throw e.with_note(fmt::format(
        "The stream was spooled into {} and is kept for that: resume with `omsrestore {} "
        "--resume` and the same options (remove {} once the restore is done)",
        spooled.root(), spooled.dir(), spooled.root()));
  }
}

}  // namespace omsbackup
