// Debian's libsrt (libsrt-openssl-dev, pkg-config `srt`): the SRT protocol library SRS uses.
#ifndef CSRT_H
#define CSRT_H

#include <srt/srt.h>
#include <srt/access_control.h>

#endif
