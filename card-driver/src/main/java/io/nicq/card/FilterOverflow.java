package io.nicq.card;

import io.nicq.proto.sbe.FilterPlacement;

/**
 * Where a filter goes when all 128 5-tuple filters are in use: the seam for flow director perfect-match filters (8K
 * of them, more complex to program, and they take packet buffer space) and for software filtering on the default
 * queue (the thesis's suggestion for applications that do not need a queue of their own). {@link FilterManager} asks
 * this only once the 5-tuple filters are exhausted.
 * <p>
 * Today only {@link #REFUSE} exists: exhaustion is a clear {@code NO_FILTER_SLOT} error.
 */
public interface FilterOverflow
{
    /** Places nothing: the 129th filter is refused. */
    FilterOverflow REFUSE = new FilterOverflow()
    {
        public boolean place(final FilterRegistration filter)
        {
            return false;
        }

        public void remove(final FilterRegistration filter)
        {
        }

        public int free()
        {
            return 0;
        }

        public String description()
        {
            return "no overflow (flow director and software filtering are not enabled)";
        }
    };

    /**
     * Places a filter the 5-tuple registers have no room for; on success calls {@link FilterRegistration#place} with
     * {@link FilterPlacement#FLOW_DIRECTOR} or {@link FilterPlacement#SOFTWARE}.
     *
     * @return false if it cannot be placed either
     */
    boolean place(FilterRegistration filter);

    /** Removes a filter this overflow placed. */
    void remove(FilterRegistration filter);

    /** Filters it could still place. */
    int free();

    /** For the exhaustion message. */
    String description();
}
