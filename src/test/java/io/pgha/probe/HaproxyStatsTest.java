package io.pgha.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HaproxyStatsTest {
    @Test
    void serverRowsAreReadByColumnName() {
        String csv = """
                # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight
                primary,FRONTEND,,,0,0,2000,0,0,0,0,0,0,,,,,OPEN,
                primary,pg1,0,0,0,0,500,0,0,0,,0,,0,0,0,0,UP,1
                primary,pg2,0,0,0,0,500,0,0,0,,0,,0,0,0,0,DOWN,1
                primary,BACKEND,0,0,0,0,200,0,0,0,0,0,,0,0,0,0,UP,1
                """;
        assertEquals(List.of(new HaproxyStats.Server("primary", "pg1", "UP"),
                new HaproxyStats.Server("primary", "pg2", "DOWN")), HaproxyStats.parse(csv));
    }
}
