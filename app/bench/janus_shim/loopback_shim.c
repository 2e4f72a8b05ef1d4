/* LD_PRELOAD shim for the fan-out benchmark: Janus (like libnice) skips
 * interfaces flagged IFF_LOOPBACK when gathering ICE candidates, so on a
 * loopback-only setup it would offer none. Clearing the flag on "lo" in
 * getifaddrs() results lets it offer 127.0.0.1 (narrowed further by
 * ice_enforce_list). Compiled at benchmark time; never used by the app. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

int getifaddrs(struct ifaddrs **ifap) {
    int (*real)(struct ifaddrs **) =
        (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int rc = real(ifap);
    if (rc == 0) {
        for (struct ifaddrs *i = *ifap; i != NULL; i = i->ifa_next) {
            if (i->ifa_name != NULL && strcmp(i->ifa_name, "lo") == 0) {
                i->ifa_flags &= ~(unsigned int)IFF_LOOPBACK;
            }
        }
    }
    return rc;
}
