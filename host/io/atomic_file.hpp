// host/io/atomic_file.hpp — every file the library writes goes through here: written to a
// temporary name in the same directory (unique per call), flushed to disk, then renamed over
// the target and the directory synced, so a crash, a full disk or a concurrent save of the
// same path never leaves a half-written file under the real name.
#pragma once
#include <functional>
#include <string>

namespace rbm::detail {

/// Calls write(file) on a temporary file next to `path`, then renames it to `path`. Throws
/// IoError naming `path` (and `what`, e.g. "model file") when anything fails; the temporary
/// is removed then. `write` returns false on a failed write.
void write_file_atomically(const std::string& path,
                           const char* what,
                           const std::function<bool(std::FILE*)>& write);

/// The same for a file whose whole content is `bytes`.
void write_text_atomically(const std::string& path, const char* what, const std::string& bytes);

}  // namespace rbm::detail
