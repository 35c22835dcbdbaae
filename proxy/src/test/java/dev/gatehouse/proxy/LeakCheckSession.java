package dev.gatehouse.proxy;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs the counting leak detector when the test run starts, before any engine (Jupiter or
 * jqwik) touches Netty's buffer classes: a detector factory set after they were initialized
 * would never see a leak. Registered in META-INF/services.
 */
public final class LeakCheckSession implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakCheck.install();
    }
}
