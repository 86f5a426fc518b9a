// Fault-injection points for the tests (tests/integration/faults_test.cpp). A named
// point does nothing unless the process was started with one of:
//
//   OMSB_TEST_STOP_AT="<point>:<n>"    the n-th pass of <point> raises SIGKILL on the
//                                      process itself (a crash at exactly that step)
//   OMSB_TEST_PAUSE_AT="<point>:<n>"   the n-th pass of <point> creates the file
//   OMSB_TEST_PAUSE_FILE=<path>        <path> and waits until it is removed (at most
//                                      120 s), so that a test can kill a connection,
//                                      restart the server or send a signal at that step
//
// The variables are read once; without them a point costs next to nothing. The points
// (their names and where they are) are listed in docs/reliability.md.
#pragma once

namespace omsbackup {

void test_point(const char* name);

}  // namespace omsbackup
