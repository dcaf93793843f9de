package io.nicq.ixgbe.host;

import java.util.Map;
import java.util.TreeMap;

/**
 * The PCI ids nicq drives: the physical functions of the Intel 82599 10 GbE controller, as listed with
 * {@code board_82599} in Linux's ixgbe_pci_tbl (drivers/net/ethernet/intel/ixgbe/ixgbe_main.c, ids from
 * ixgbe_type.h) and in DPDK's ixgbe driver. Everything else is refused with the id found: other ixgbe parts (82598,
 * X540, X550) have different register maps and init sequences, and 82599 virtual functions (0x10ED, 0x152E) have no
 * global registers to initialise.
 */
public final class SupportedDevices
{
    public static final int INTEL_VENDOR_ID = 0x8086;
    /** IXGBE_DEV_ID_82599_VF and IXGBE_DEV_ID_82599_VF_HV: recognised only to refuse them by name. */
    public static final int VF = 0x10ED;
    public static final int VF_HV = 0x152E;

    private static final Map<Integer, String> NAMES = new TreeMap<>();

    static
    {
        NAMES.put(0x10F7, "82599 KX4 (backplane)");                          // IXGBE_DEV_ID_82599_KX4
        NAMES.put(0x10F8, "82599 combined backplane (KX4/KR)");              // IXGBE_DEV_ID_82599_COMBO_BACKPLANE
        NAMES.put(0x10F9, "82599 CX4");                                      // IXGBE_DEV_ID_82599_CX4
        NAMES.put(0x10FB, "82599 SFI/SFP+");                                 // IXGBE_DEV_ID_82599_SFP
        NAMES.put(0x10FC, "82599 XAUI LOM");                                 // IXGBE_DEV_ID_82599_XAUI_LOM
        NAMES.put(0x1507, "82599 SFP+ (embedded)");                          // IXGBE_DEV_ID_82599_SFP_EM
        NAMES.put(0x1514, "82599 KX4 mezzanine");                            // IXGBE_DEV_ID_82599_KX4_MEZZ
        NAMES.put(0x1517, "82599 KR (backplane)");                           // IXGBE_DEV_ID_82599_KR
        NAMES.put(0x151C, "82599 10GBASE-T (T3 LOM)");                       // IXGBE_DEV_ID_82599_T3_LOM
        NAMES.put(0x1529, "82599 SFP+ FCoE");                                // IXGBE_DEV_ID_82599_SFP_FCOE
        NAMES.put(0x152A, "82599 backplane FCoE");                           // IXGBE_DEV_ID_82599_BACKPLANE_FCOE
        NAMES.put(0x154A, "82599 SFP+ quad port (SF_QP)");                   // IXGBE_DEV_ID_82599_SFP_SF_QP
        NAMES.put(0x154D, "82599 SFP+ (SF2)");                               // IXGBE_DEV_ID_82599_SFP_SF2
        NAMES.put(0x154F, "82599 LS");                                       // IXGBE_DEV_ID_82599_LS
        NAMES.put(0x1557, "82599EN SFP+");                                   // IXGBE_DEV_ID_82599EN_SFP
        NAMES.put(0x1558, "82599 QSFP+ quad port (QSFP_SF_QP)");             // IXGBE_DEV_ID_82599_QSFP_SF_QP
    }

    private SupportedDevices()
    {
    }

    /** Device id -> name, in id order. */
    public static Map<Integer, String> all()
    {
        return java.util.Collections.unmodifiableMap(NAMES);
    }

    public static boolean isSupported(final int vendor, final int device)
    {
        return vendor == INTEL_VENDOR_ID && NAMES.containsKey(device);
    }

    /** The name of a supported device, else null. */
    public static String name(final int vendor, final int device)
    {
        return vendor == INTEL_VENDOR_ID ? NAMES.get(device) : null;
    }

    /**
     * Refuses anything but an 82599 physical function.
     *
     * @param spec what the user asked for ("vfio:0000:03:00.0"), for the message
     */
    public static void require(final String spec, final int vendor, final int device)
    {
        if (isSupported(vendor, device))
        {
            return;
        }
        final String found = String.format("%04x:%04x", vendor, device);
        if (vendor == INTEL_VENDOR_ID && (device == VF || device == VF_HV))
        {
            throw new IllegalStateException(spec + " is " + found + ", an 82599 virtual function: nicq drives the " +
                "physical function (it owns the global registers and filters); use the PF's address");
        }
        throw new IllegalStateException(spec + " is " + found + ", not an Intel 82599: nicq drives only 8086:" +
            "{10f7,10f8,10f9,10fb,10fc,1507,1514,1517,151c,1529,152a,154a,154d,154f,1557,1558} ('nicq devices' " +
            "lists the 82599 ports of this machine)");
    }
}
